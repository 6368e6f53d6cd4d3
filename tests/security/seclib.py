"""A secured Apache Kafka broker of the security tests' own, and how the two binaries reach it.

The broker (KRaft, one node, Kafka 3.9 from the jars scripts/local-kafka.sh resolves) listens
on 127.0.0.1 only, every listener with TLS from a CA made here by openssl (certificates name
IP:127.0.0.1 and DNS:localhost, so that hostname verification passes):

  SASL_SSL   KSTREAM_SECURITY_PORT (19500)   SASL/SCRAM-SHA-512 and SASL/PLAIN
  MTLS       +1                               TLS with client certificates (ssl.client.auth=required)
  MISNAMED   +2                               TLS with a certificate for another host name
  CONTROLLER +3                               KRaft controller, mTLS (the broker's own certificate)

Authorization: KRaft's StandardAuthorizer, allow.everyone.if.no.acl.found=false; super users
are the broker itself (its certificate) and `admin` (the tests' own admin client). Every
principal of a program (app_scram, app_plain, app_mtls, stats_scram, stats_plain, stats_mtls)
gets only the ACLs a test grants it. Passwords and the client keys' passphrase are made per
session, so that a test can require that none of them ever reaches a log line.
"""
import base64
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import select

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
import kafka_testlib  # noqa: E402  (tests/lib: records with known answers, topics, reading back)

HOST = "127.0.0.1"
PORT = int(os.environ.get("KSTREAM_SECURITY_PORT", "19500"))
SASL_PORT, MTLS_PORT, MISNAMED_PORT, CONTROLLER_PORT = PORT, PORT + 1, PORT + 2, PORT + 3
DATA = Path(os.environ.get("KSTREAM_SECURITY_DATA_DIR", f"/tmp/kstream-security-kafka-{PORT}"))
BUILD_DIR = Path(os.environ.get("KSTREAM_BUILD_DIR", ROOT / "build"))
APP = BUILD_DIR / "app" / "kstream-app"
STATS = BUILD_DIR / "app" / "kstream-stats"
# The bound the issue sets on every refusal: the process is gone within this many seconds.
REFUSAL_BOUND_S = 30

PROGRAMS = ("app", "stats")
MECHANISMS = ("scram", "plain", "mtls")


def log(*args):
    print("security:", *args, file=sys.stderr, flush=True)


# --- certificates ------------------------------------------------------------------------------

def openssl(*args):
    result = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(map(str, args[:2]))} failed: {result.stderr}")


class Pki:
    """A CA of the tests, a rogue CA nobody trusts, and certificates signed by either."""

    def __init__(self, folder, key_password):
        self.dir = folder
        self.key_password = key_password
        self.ca = self._ca("test-ca")
        self.rogue_ca = self._ca("rogue-ca")

    def _ca(self, name):
        key, pem = self.dir / f"{name}.key", self.dir / f"{name}.pem"
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", pem, "-days", "2", "-subj", f"/CN=kstream {name}",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return key, pem

    def cert(self, name, common_name, hosts=("IP:127.0.0.1", "DNS:localhost"), rogue=False, encrypt=True):
        """(key file, certificate file) for `common_name`; the key encrypted with the
        session's passphrase unless `encrypt` is False."""
        ca_key, ca_pem = self.rogue_ca if rogue else self.ca
        plain_key, csr, pem = self.dir / f"{name}.plain.key", self.dir / f"{name}.csr", self.dir / f"{name}.pem"
        ext = self.dir / f"{name}.ext"
        ext.write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                       "extendedKeyUsage=serverAuth,clientAuth\n"
                       + (f"subjectAltName={','.join(hosts)}\n" if hosts else ""))
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", plain_key, "-out", csr, "-subj", f"/CN={common_name}")
        openssl("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-set_serial",
                str(secrets.randbits(63)), "-days", "2", "-extfile", ext, "-out", pem)
        if not encrypt:
            return plain_key, pem
        key = self.dir / f"{name}.key"
        openssl("pkcs8", "-topk8", "-in", plain_key, "-out", key, "-v2", "aes-256-cbc",
                "-passout", f"pass:{self.key_password}")
        plain_key.unlink()
        return key, pem

    def keystore(self, name, common_name, hosts, password):
        """A PKCS12 keystore for the broker (Java reads PKCS12 natively)."""
        key, pem = self.cert(name, common_name, hosts, encrypt=False)
        store = self.dir / f"{name}.p12"
        openssl("pkcs12", "-export", "-in", pem, "-inkey", key, "-certfile", self.ca[1], "-name", name,
                "-out", store, "-passout", f"pass:{password}")
        return store


# --- the broker --------------------------------------------------------------------------------

class SecuredBroker:
    def __init__(self):
        self.secrets = {}       # what must never appear in a log line: name -> text
        self.passwords = {}     # SASL principal -> password (SCRAM and PLAIN users alike)
        self.process = None
        self.libs = None

    def _secret(self, name):
        value = secrets.token_hex(16)
        self.secrets[name] = value
        return value

    def start(self):
        self.stop_leftover()
        shutil.rmtree(DATA, ignore_errors=True)
        (DATA / "tls").mkdir(parents=True)
        result = subprocess.run(["bash", str(ROOT / "scripts" / "local-kafka.sh"), "jars"],
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"the Kafka jars could not be resolved:\n{result.stderr}")
        self.libs = result.stdout.strip().splitlines()[-1]
        store_password = self._secret("keystore password")
        self.pki = Pki(DATA / "tls", self._secret("client key passphrase"))
        broker_store = self.pki.keystore("broker", "broker", ("IP:127.0.0.1", "DNS:localhost"), store_password)
        misnamed_store = self.pki.keystore("misnamed", "misnamed", ("DNS:elsewhere.invalid",), store_password)
        for program in PROGRAMS:
            for mechanism in ("scram", "plain"):
                self.passwords[f"{program}_{mechanism}"] = self._secret(f"{program}_{mechanism} password")
        self.passwords["admin"] = self._secret("admin password")
        # Client certificates: the principal is the certificate's CN (ssl.principal.mapping.rules).
        self.client_certs = {f"{program}_mtls": self.pki.cert(f"{program}_mtls", f"{program}_mtls")
                             for program in PROGRAMS}
        self.rogue_cert = self.pki.cert("rogue_app_mtls", "app_mtls", rogue=True)
        plain_users = " ".join(f'user_{user}="{password}"' for user, password in self.passwords.items()
                               if not user.endswith("_scram"))
        store = (f"ssl.keystore.type=PKCS12\nssl.keystore.password={store_password}\n"
                 f"ssl.key.password={store_password}\n")
        properties = f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@{HOST}:{CONTROLLER_PORT}
listeners=SASL_SSL://{HOST}:{SASL_PORT},MTLS://{HOST}:{MTLS_PORT},MISNAMED://{HOST}:{MISNAMED_PORT},CONTROLLER://{HOST}:{CONTROLLER_PORT}
advertised.listeners=SASL_SSL://{HOST}:{SASL_PORT},MTLS://{HOST}:{MTLS_PORT},MISNAMED://{HOST}:{MISNAMED_PORT}
listener.security.protocol.map=SASL_SSL:SASL_SSL,MTLS:SSL,MISNAMED:SSL,CONTROLLER:SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=MTLS
log.dirs={DATA}/log
offsets.topic.num.partitions=3
transaction.state.log.num.partitions=3
{(ROOT / "scripts" / "kafka" / "single-node.properties").read_text()}# TLS on every listener, from the tests' CA; the broker checks host names too
ssl.keystore.location={broker_store}
{store}ssl.truststore.type=PEM
ssl.truststore.location={self.pki.ca[1]}
ssl.endpoint.identification.algorithm=https
listener.name.mtls.ssl.client.auth=required
listener.name.controller.ssl.client.auth=required
listener.name.misnamed.ssl.keystore.location={misnamed_store}
{store.replace("ssl.", "listener.name.misnamed.ssl.")}ssl.principal.mapping.rules=RULE:^CN=([^,]+)$/$1/,DEFAULT
# SASL: SCRAM users live in the cluster metadata (kafka-storage format --add-scram), PLAIN users here
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required {plain_users};
# authorization: nothing without an ACL, except for the broker itself and the tests' admin
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:broker;User:admin
"""
        config = DATA / "server.properties"
        config.write_text(properties)
        config.chmod(0o600)
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        scram = []
        for user, password in self.passwords.items():
            if not user.endswith("_plain"):
                scram += ["--add-scram", f"SCRAM-SHA-512=[name={user},password={password}]"]
        result = subprocess.run(["java", "-cp", f"{self.libs}/*", "kafka.tools.StorageTool", "format", "-t", cluster_id,
                                 "-c", str(config), *scram], capture_output=True, text=True, timeout=180)
        if result.returncode != 0:
            raise RuntimeError(f"formatting the secured broker's storage failed:\n{result.stdout}\n{result.stderr}")
        log(f"starting the secured broker on {HOST}:{SASL_PORT}-{CONTROLLER_PORT} (data in {DATA})")
        with open(DATA / "stdout.log", "wb") as out:
            self.process = subprocess.Popen(
                ["java", "-Xms128m", "-Xmx512m", "-XX:+UseG1GC", f"-Dkafka.logs.dir={DATA}",
                 f"-Dlog4j.configuration=file:{ROOT / 'scripts' / 'kafka' / 'log4j.properties'}",
                 "-cp", f"{self.libs}/*", "kafka.Kafka", str(config)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        (DATA / "kafka.pid").write_text(str(self.process.pid))
        self.wait_ready(180)
        self.acls = AclAdmin(self.libs, self.admin_config())

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                # Quiet: "connection refused" until the broker listens is expected here.
                if AdminClient({**self.admin_config(), "log_level": 2}).list_topics(timeout=5).brokers:
                    return
            except KafkaException as exc:
                last = exc
            time.sleep(1)
        tail = (DATA / "server.log").read_text(errors="replace")[-4000:] if (DATA / "server.log").exists() else ""
        raise RuntimeError(f"the secured broker did not answer within {timeout}s ({last}); server.log ends:\n{tail}")

    def stop_leftover(self):
        """A broker a killed earlier session left behind on these ports (its pid file, and its
        command line naming this data folder): stopped, never any other process."""
        pid_file = DATA / "kafka.pid"
        if not pid_file.exists():
            return
        try:
            pid = int(pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            return
        if str(DATA) in cmdline and "kafka.Kafka" in cmdline:
            os.kill(pid, signal.SIGKILL)

    def stop(self):
        if getattr(self, "acls", None) is not None:
            self.acls.close()
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        shutil.rmtree(DATA, ignore_errors=True)

    # --- clients ---------------------------------------------------------------------------

    def admin_config(self):
        return {"bootstrap.servers": f"{HOST}:{SASL_PORT}", "security.protocol": "SASL_SSL",
                "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "admin",
                "sasl.password": self.passwords["admin"], "ssl.ca.location": str(self.pki.ca[1])}

    def admin(self):
        return AdminClient(self.admin_config())

    def client_setup(self, program, mechanism, password=None, ca=None, port=None, cert=None):
        """How `program` (app or stats) reaches the broker through `mechanism`, as a user would
        configure it: (bootstrap, kafka.properties entries, environment with the secrets).
        The keyword arguments spoil one part for the refusal tests."""
        principal = f"{program}_{mechanism}"
        ca = ca or self.pki.ca[1]
        if mechanism == "mtls":
            key, pem = cert or self.client_certs[principal]
            properties = ["security.protocol=SSL", f"ssl.ca.location={ca}", f"ssl.certificate.location={pem}",
                          f"ssl.key.location={key}"]
            environment = {"KSTREAM_RDKAFKA_SSL_KEY_PASSWORD": self.pki.key_password}
            return f"{HOST}:{port or MTLS_PORT}", properties, environment
        properties = ["security.protocol=SASL_SSL",
                      f"sasl.mechanisms={'SCRAM-SHA-512' if mechanism == 'scram' else 'PLAIN'}",
                      f"sasl.username={principal}", f"ssl.ca.location={ca}"]
        environment = {"KSTREAM_RDKAFKA_SASL_PASSWORD": password or self.passwords[principal]}
        return f"{HOST}:{port or SASL_PORT}", properties, environment

    # --- ACLs ------------------------------------------------------------------------------

    def set_acls(self, principal, grants):
        """Replaces every ACL of User:`principal` by `grants` [(resource type, pattern type,
        name, operation)] (allow, any host); returns once the broker's authorizer holds
        exactly those."""
        self.acls.set(principal, grants)


class AclAdmin:
    """AclAdmin.java on the broker's jars: one JVM for the session, one line per command."""

    def __init__(self, libs, admin_config):
        properties = DATA / "acl-admin.properties"
        renamed = {"bootstrap.servers": "bootstrap.servers", "security.protocol": "security.protocol",
                   "sasl.mechanisms": "sasl.mechanism", "ssl.ca.location": "ssl.truststore.location"}
        lines = [f"{renamed[k]}={v}" for k, v in admin_config.items() if k in renamed]
        lines += ["ssl.truststore.type=PEM",
                  "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
                  f'username="{admin_config["sasl.username"]}" password="{admin_config["sasl.password"]}";']
        properties.write_text("\n".join(lines) + "\n")
        properties.chmod(0o600)
        (DATA / "acl-admin").mkdir(exist_ok=True)
        self.stderr = open(DATA / "acl-admin" / "stderr.log", "wb")
        self.proc = subprocess.Popen(
            ["java", "-Xmx256m", f"-Dkafka.logs.dir={DATA / 'acl-admin'}",
             f"-Dlog4j.configuration=file:{ROOT / 'scripts' / 'kafka' / 'log4j.properties'}",
             "-cp", f"{libs}/*", str(HERE / "AclAdmin.java"), str(properties)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        self._expect("ready", 120)

    def _expect(self, what, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().strip() if ready else ""
        if not line.startswith(what):
            raise RuntimeError(f"AclAdmin.java answered {line!r} instead of {what!r} "
                               f"(log: {DATA / 'acl-admin' / 'stderr.log'})")
        return line

    def set(self, principal, grants):
        words = ["set", principal] + ["|".join(str(part) for part in grant) for grant in grants]
        self.proc.stdin.write(" ".join(words) + "\n")
        self.proc.stdin.flush()
        self._expect("ok", 120)

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.stderr.close()


# --- the programs ------------------------------------------------------------------------------

def write_config(path, bootstrap, properties):
    """The [kafka] part of a config file as a user writes it: no secret in it."""
    quoted = ", ".join(f'"{p}"' for p in properties)
    path.write_text(f'[kafka]\nbootstrap-servers="{bootstrap}"\nproperties=[{quoted}]\n')
    return path


def run_program(args, environment, log_path, bound):
    """Runs a program with only `environment`'s KSTREAM_RDKAFKA_* variables; (exit code,
    seconds, output). A process still running after `bound` seconds is killed and fails the
    test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KSTREAM_RDKAFKA_")}
    env.update(environment)
    started = time.monotonic()
    with open(log_path, "wb") as out:
        proc = subprocess.Popen([str(a) for a in args], stdout=out, stderr=subprocess.STDOUT, env=env, cwd="/tmp")
        try:
            code = proc.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
            raise AssertionError(f"{Path(args[0]).name} still ran after {bound}s; log: {log_path}")
    return code, time.monotonic() - started, Path(log_path).read_text(errors="replace")


def job_command(config, topics, group, http_port=0):
    return [APP, f"--config-file={config}", f"--kafka.group-id={group}", f"--kafka.input-topic={topics['in']}",
            f"--kafka.output-topic={topics['out']}", f"--kafka.dlq-topic={topics['dlq']}",
            "--job.guarantee=exactly_once", "--job.drain", f"--http.port={http_port}",
            "--log.progress-interval-ms=1000"]


def stats_command(config, topics, group_prefix):
    return [STATS, f"--config-file={config}", f"--kafka.group-id={group_prefix}",
            f"--kafka.input-topic={topics['out']}", f"--kafka.stats-topic={topics['stats']}",
            f"--kafka.state-topic={topics['state']}", "--job.drain",
            "--http.port=0", "--view.terminal=plain"]


# --- the ACLs each program needs: README.md's table, exactly ----------------------------------

def job_acls(topics, group):
    """(resource type, pattern type, name, operation), as README.md's table lists them."""
    return [
        ("TOPIC", "LITERAL", topics["in"], "READ"),
        ("TOPIC", "LITERAL", topics["out"], "WRITE"),
        ("TOPIC", "LITERAL", topics["out"], "DESCRIBE_CONFIGS"),
        ("TOPIC", "LITERAL", topics["dlq"], "WRITE"),
        ("TOPIC", "LITERAL", topics["dlq"], "DESCRIBE_CONFIGS"),
        ("GROUP", "LITERAL", group, "READ"),
        ("TRANSACTIONAL_ID", "PREFIXED", f"{group}-", "WRITE"),
    ]


def stats_acls(topics, group_prefix):
    return [
        ("TOPIC", "LITERAL", topics["out"], "READ"),
        ("TOPIC", "LITERAL", topics["stats"], "WRITE"),
        ("TOPIC", "LITERAL", topics["state"], "READ"),
        ("TOPIC", "LITERAL", topics["state"], "WRITE"),
        ("GROUP", "PREFIXED", f"{group_prefix}-", "READ"),
    ]
