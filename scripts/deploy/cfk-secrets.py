#!/usr/bin/env python3
"""The Secrets of the secured Confluent Platform (confluent/*.yaml) and of the job's chart.

  cfk-secrets.py init DIR      make what is missing in DIR: one random password per principal
                               (DIR/passwords/<name>) and, unless CFK_CA_CERT and CFK_CA_KEY
                               name your own CA, a CA (DIR/ca.crt, DIR/ca.key) that CFK signs
                               every component's certificate with. DIR is 0700, files 0600.
  cfk-secrets.py render DIR    print (stdout) every Secret as one JSON v1 List, for
                               `kubectl apply -f -`. Nothing is written to disk.

`make deploy-cfk-secrets` runs both with DIR outside the repository
(~/.local/state/kstream-app/<prefix>/cfk). To bring your own credentials, put them in
DIR/passwords/<name> (one line) before `init`; to bring your own CA, set CFK_CA_CERT and
CFK_CA_KEY (PEM files) for both commands. Never commit DIR.
"""
import base64
import json
import os
import secrets
import stat
import subprocess
import sys

NAMESPACE = os.environ.get("NAMESPACE", "confluent")
KAFKA = "kafka.confluent.svc.cluster.local:9071"

# Kafka SASL/PLAIN principals (User:<name>); confluent/acls.yaml grants the non-super ones.
KAFKA_USERS = ["kafka", "kafka-admin", "connect", "ksqldb", "controlcenter", "kstream-app"]
# HTTP basic logins of the REST APIs: name -> role on the server side (None: no role list).
REST_USERS = {
    "kafka-rest": "admin",          # CFK -> the brokers' Admin REST API (KafkaTopics)
    "connect-admin": "admin",       # CFK (Connector) and Control Center -> Connect
    "ksqldb-admin": "admin",        # Control Center, make deploy-ksql, the chart's ksqlJob -> ksqlDB
    "c3-admin": "Administrators",   # people -> Control Center's UI
    "prometheus": None,             # brokers, controllers, Control Center -> its Prometheus
    "alertmanager": None,           # Control Center -> its Alertmanager
}
PASSWORDS = KAFKA_USERS + list(REST_USERS)


def die(msg):
    sys.exit(f"cfk-secrets: error: {msg}")


def ca_files(root):
    cert, key = os.environ.get("CFK_CA_CERT"), os.environ.get("CFK_CA_KEY")
    if bool(cert) != bool(key):
        die("set both CFK_CA_CERT and CFK_CA_KEY (your CA's certificate and key, PEM), or neither")
    return (cert, key) if cert else (os.path.join(root, "ca.crt"), os.path.join(root, "ca.key"))


def init(root):
    os.makedirs(os.path.join(root, "passwords"), mode=0o700, exist_ok=True)
    os.chmod(root, 0o700)
    os.chmod(os.path.join(root, "passwords"), 0o700)
    old = os.umask(0o077)
    try:
        made = []
        for name in PASSWORDS:
            path = os.path.join(root, "passwords", name)
            if not os.path.exists(path):
                with open(path, "w") as f:
                    f.write(secrets.token_urlsafe(24) + "\n")
                made.append(name)
        cert, key = ca_files(root)
        if not os.environ.get("CFK_CA_CERT") and not os.path.exists(cert):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-sha256", "-days", "825",
                            "-subj", "/CN=kstream-app Confluent Platform CA", "-keyout", key, "-out", cert,
                            "-addext", "basicConstraints=critical,CA:TRUE",
                            "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            made.append("ca.crt/ca.key")
    finally:
        os.umask(old)
    print(f"cfk-secrets: {root}: made {', '.join(made) if made else 'nothing (all there)'}", file=sys.stderr)


def read(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        die(f"{path} missing: run `cfk-secrets.py init` (make deploy-cfk-secrets) first")
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO) and not path.endswith(".crt"):
        die(f"{path} is readable by others (mode {oct(st.st_mode & 0o777)}): chmod 600 it")
    with open(path) as f:
        return f.read()


def render(root):
    pw = {name: read(os.path.join(root, "passwords", name)).strip() for name in PASSWORDS}
    for name, value in pw.items():
        if not value or any(c in value for c in "\"'\\ \n:,"):
            die(f"password of {name}: empty, or has a quote, backslash, blank, ':' or ',' (JAAS and basic.txt syntax)")
    cert_path, key_path = ca_files(root)
    ca_crt, ca_key = read(cert_path), read(key_path)

    def plain_txt(user):
        return f"username={user}\npassword={pw[user]}\n"

    def jaas(user):
        return f'org.apache.kafka.common.security.plain.PlainLoginModule required username="{user}" password="{pw[user]}";'

    def basic_server(user):
        role = REST_USERS[user]
        return f"{user}: {pw[user]}" + (f",{role}" if role else "") + "\n"

    out = {}

    def secret(name, data, kind="Opaque"):
        assert len(name) <= 30, name  # CFK's secretRef limit
        out[name] = {"apiVersion": "v1", "kind": "Secret", "type": kind,
                     "metadata": {"name": name, "namespace": NAMESPACE,
                                  "labels": {"app.kubernetes.io/part-of": "kstream-app"}},
                     "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}

    # TLS: CFK signs each component's certificate with this CA (autoGeneratedCerts); clients
    # get the certificate alone.
    secret("ca-pair-sslcerts", {"tls.crt": ca_crt, "tls.key": ca_key}, "kubernetes.io/tls")
    secret("kafka-ca", {"ca.crt": ca_crt})
    # SASL/PLAIN, server side: who may log in; the brokers' and controllers' own login.
    secret("kraft-sasl-server", {"plain-users.json": json.dumps({"kafka": pw["kafka"]}),
                                 "plain-interbroker.txt": plain_txt("kafka")})
    secret("kafka-sasl-server", {"plain-users.json": json.dumps({u: pw[u] for u in KAFKA_USERS}),
                                 "plain-interbroker.txt": plain_txt("kafka")})
    secret("kafka-kraft-sasl-client", {"plain.txt": plain_txt("kafka"), "plain-interbroker.txt": plain_txt("kafka")})
    # SASL/PLAIN, client side, one principal per component.
    secret("connect-kafka-client", {"plain.txt": plain_txt("connect"),
                                    "client.properties": f"sasl.jaas.config={jaas('connect')}\n"})
    secret("ksqldb-kafka-client", {"plain.txt": plain_txt("ksqldb")})
    secret("controlcenter-kafka-client", {"plain.txt": plain_txt("controlcenter")})
    secret("kafka-acl-admin", {"ca.crt": ca_crt, "admin.properties": (
        "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n"
        f"sasl.jaas.config={jaas('kafka-admin')}\n"
        "ssl.truststore.type=PEM\nssl.truststore.location=/mnt/kafka-acl-admin/ca.crt\n")})
    # The job (charts/kstream-app: kafkaCredentials.existingSecret, keys username/password).
    secret("kstream-app-kafka", {"username": "kstream-app", "password": pw["kstream-app"]})
    # HTTP basic authentication of the REST APIs: server-side user lists, client-side logins.
    for server, client, user, host in (("kafka-rest-basic-server", "kafka-rest-basic-client", "kafka-rest", "kafka"),
                                       ("connect-basic-server", "connect-basic-client", "connect-admin", "connect"),
                                       ("ksqldb-basic-server", "ksqldb-basic-client", "ksqldb-admin", "ksqldb"),
                                       ("prometheus-basic-server", "prometheus-basic-client", "prometheus", "controlcenter"),
                                       ("alertmanager-basic-server", "alertmanager-basic-client", "alertmanager", "controlcenter")):
        secret(server, {"basic.txt": basic_server(user)})
        # A netrc too, for curl --netrc-file (make deploy-ksql, the chart's ksqlJob): the
        # password never on a command line.
        secret(client, {"basic.txt": plain_txt(user), "netrc":
                        f"machine {host}.{NAMESPACE}.svc.cluster.local login {user} password {pw[user]}\n"})
    secret("controlcenter-basic-server", {"basic.txt": basic_server("c3-admin")})
    json.dump({"apiVersion": "v1", "kind": "List", "items": list(out.values())}, sys.stdout, indent=1)
    sys.stdout.write("\n")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("init", "render"):
        sys.exit(__doc__)
    (init if sys.argv[1] == "init" else render)(sys.argv[2])


if __name__ == "__main__":
    main()
