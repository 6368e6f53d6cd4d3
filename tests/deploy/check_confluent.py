#!/usr/bin/env python3
"""What confluent/*.yaml must say (called by confluent.sh).

usage: check_confluent.py [--secrets SECRETS.json] CHART_DEFAULT_RENDER.yaml confluent/*.yaml

SECRETS.json: the List that scripts/deploy/cfk-secrets.py renders; with it, every Secret the
manifests and the chart's defaults refer to must be in it, with the keys its user reads, and
each component's Kafka login must be the principal its ACLs are for.
"""
import base64
import json
import re
import sys

import yaml

failures = []
# Keys of the Azure Blob Storage Source connector read only in its GENERIC mode.
GENERIC_ONLY_KEYS = {"topic.regex.list"}


def check(cond, what):
    if not cond:
        failures.append(what)


def main():
    args = sys.argv[1:]
    secrets = None
    if args[:1] == ["--secrets"]:
        secrets = {s["metadata"]["name"]: s for s in json.load(open(args[1]))["items"]}
        args = args[2:]
    chart = [d for d in yaml.safe_load_all(open(args[0])) if d]
    docs = []
    for path in args[1:]:
        docs += [d for d in yaml.safe_load_all(open(path)) if d]
    kinds = {}
    for d in docs:
        kinds.setdefault(d["kind"], []).append(d)
        if d["kind"] != "Namespace":
            check(d["metadata"].get("namespace") == "confluent", f"{d['kind']}/{d['metadata']['name']} in namespace confluent")
    for kind in ("KRaftController", "Kafka", "Connect", "Connector", "KafkaTopic", "KsqlDB", "ControlCenter"):
        check(kind in kinds, f"a {kind}")
    check("Zookeeper" not in kinds, "no ZooKeeper (KRaft mode)")

    kraft, kafka = kinds["KRaftController"][0], kinds["Kafka"][0]
    check(kafka["spec"]["dependencies"]["kRaftController"]["clusterRef"]["name"] == kraft["metadata"]["name"],
          "Kafka depends on the KRaftController")
    check(kraft["spec"]["replicas"] >= 3 and kafka["spec"]["replicas"] >= 3, "3 controllers, 3 brokers")
    versions = set()
    for kind in ("KRaftController", "Kafka", "Connect", "KsqlDB"):
        m = re.search(r":([0-9]+)\.([0-9]+)\.([0-9]+)$", kinds[kind][0]["spec"]["image"]["application"])
        check(m is not None, f"{kind}: pinned image version")
        if m:
            versions.add(m.group(0))
            check(int(m.group(1)) >= 8, f"{kind}: Confluent Platform 8 or later ({m.group(0)})")
    check(len(versions) == 1, f"one Confluent Platform version for all components: {versions}")
    inits = {kinds[k][0]["spec"]["image"]["init"] for k in ("KRaftController", "Kafka", "Connect", "KsqlDB", "ControlCenter")}
    check(len(inits) == 1, f"one CFK init container version: {inits}")

    connect = kinds["Connect"][0]["spec"]
    check(connect["build"]["type"] == "onDemand", "Connect plugins by CFK's on-demand build (no custom image)")
    plugins = connect["build"]["onDemand"]["plugins"]
    check(plugins["locationType"] == "confluentHub"
          and {"name": "kafka-connect-azure-blob-storage-source", "owner": "confluentinc"}.items()
          <= plugins["confluentHub"][0].items(), "Azure Blob Storage Source plugin from Confluent Hub")
    for p in plugins["confluentHub"]:
        check(re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", str(p.get("version", ""))) is not None,
              f"plugin {p.get('name')}: pinned release, not {p.get('version')!r} (reproducible rebuilds)")
    check(not connect["image"]["application"].split("/")[-1].startswith("cp-server-connect-custom")
          and connect["image"]["application"].startswith("confluentinc/cp-server-connect:"), "stock Connect image")
    mounted = [m["secretRef"] for m in connect.get("mountedSecrets", [])]
    check("azure-blob-credentials" in mounted, "Connect mounts the azure-blob-credentials Secret")

    conn = kinds["Connector"][0]["spec"]
    cfg = conn["configs"]
    check(conn["connectClusterRef"]["name"] == kinds["Connect"][0]["metadata"]["name"], "Connector runs on the Connect cluster")
    check(conn["class"] == "io.confluent.connect.azure.blob.storage.AzureBlobStorageSourceConnector", "Azure Blob Storage Source class")
    for key in ("azblob.account.key", "azblob.account.name"):
        check(re.fullmatch(r"\$\{file:/mnt/secrets/azure-blob-credentials/[^:}]+:[a-z.]+\}", cfg.get(key, "")) is not None,
              f"{key} comes from the mounted Secret, not the file")
    check(cfg.get("azblob.container.name") == "data", "reads container data")
    # The connector's mode decides which keys it reads: RESTORE_BACKUP (its default) takes topic
    # and partition from the object names and ignores the GENERIC-mode keys.
    check(cfg.get("mode") in ("RESTORE_BACKUP", "GENERIC"), f"connector mode stated explicitly: {cfg.get('mode')!r}")
    if cfg.get("mode") == "RESTORE_BACKUP":
        ignored = sorted(k for k in cfg if k in GENERIC_ONLY_KEYS)
        check(not ignored, f"RESTORE_BACKUP ignores {ignored}: drop them (or use GENERIC)")
        check(cfg.get("topics.dir") == "topics", "objects under topics/expedia/partition=N/ (restore layout)")
    else:
        check(cfg.get("topic.regex.list", "").startswith("expedia:"), "GENERIC: writes topic expedia")
    for d in docs:
        text = yaml.safe_dump(d)
        check(re.search(r"[A-Za-z0-9+/]{60,}={0,2}", text) is None, f"{d['kind']}/{d['metadata']['name']}: nothing that looks like a key")
        check(d["kind"] != "Secret", "no Secret in confluent/")

    topics = {t["spec"]["name"]: t["spec"] for t in kinds["KafkaTopic"]}
    check(sorted(topics) == ["expedia", "expedia_dlq", "expedia_ext", "expedia_stay_stats"], f"topics: {sorted(topics)}")
    for name, spec in topics.items():
        check(spec["partitionCount"] == 3 and spec["replicas"] == 3, f"{name}: 3 partitions, 3 replicas")
        check(spec["kafkaClusterRef"]["name"] == kafka["metadata"]["name"], f"{name}: on cluster kafka")
    check(topics["expedia_stay_stats"].get("configs", {}).get("cleanup.policy") == "compact", "stats changelog compacted")

    # The chart's defaults point at this platform.
    cm = [d for d in chart if d["kind"] == "ConfigMap"][0]["data"]["caf-application.ini"]
    bootstrap = re.search(r'^bootstrap-servers="([^"]+)"$', cm, re.M).group(1)
    check(bootstrap == f"{kafka['metadata']['name']}.confluent.svc.cluster.local:9071",
          f"chart bootstrap {bootstrap} is the Kafka service of confluent/")
    for key, topic in (("input-topic", "expedia"), ("output-topic", "expedia_ext"), ("dlq-topic", "expedia_dlq")):
        check(re.search(rf'^{key}="{topic}"$', cm, re.M) is not None and topic in topics, f"chart {key} is a KafkaTopic")
    ksql = kinds["KsqlDB"][0]["metadata"]["name"]
    values = yaml.safe_load(open("charts/kstream-app/values.yaml"))
    check(values["ksqlJob"]["url"] == f"https://{ksql}.confluent.svc.cluster.local:8088", "chart's ksqlDB URL is the KsqlDB of confluent/")
    check(values["inputPartitions"] == topics["expedia"]["partitionCount"], "chart's inputPartitions == partitions of expedia")

    check_security(kinds, docs, secrets, chart, values)

    if failures:
        for f in failures:
            print("FAIL:", f, file=sys.stderr)
        sys.exit(1)


# --- secure by default --------------------------------------------------------------------

KAFKA_AUTH = ("plain", "mtls")  # SASL/PLAIN with credentials from Secrets, or mutual TLS
# The principals that only ACLs let in (super users are the brokers and the ACL admin).
ACL_PRINCIPALS = {"kstream-app", "connect", "ksqldb", "controlcenter"}
SUPER_USERS = {"User:kafka", "User:kafka-admin"}
# What the job itself does (README, ACL table): exactly these ACLs, nothing wider.
JOB_ACLS = {
    ("topic", "literal", "expedia"): {"Read", "Describe"},
    ("topic", "literal", "expedia_ext"): {"Write", "Describe", "DescribeConfigs"},
    ("topic", "literal", "expedia_dlq"): {"Write", "Describe", "DescribeConfigs"},
    ("group", "literal", "kstream-app"): {"Read", "Describe"},
    ("transactional-id", "prefixed", "kstream-app-"): {"Write", "Describe"},
}


def tls_on(block):
    return isinstance(block, dict) and block.get("enabled") is True


def own_tls(spec):
    """A component's own certificates: CFK's auto-generated ones, or a Secret / directory."""
    tls = spec.get("tls") or {}
    return tls.get("autoGeneratedCerts") is True or bool(tls.get("secretRef") or tls.get("directoryPathInContainer"))


def kafka_login(where, block):
    """A Kafka client or listener: TLS on, SASL/PLAIN or mTLS with a Secret; returns the Secret."""
    check(tls_on(block.get("tls")), f"{where}: TLS")
    auth = block.get("authentication") or {}
    check(auth.get("type") in KAFKA_AUTH, f"{where}: authentication plain or mtls, not {auth.get('type')!r}")
    ref = (auth.get("jaasConfig") or {}).get("secretRef")
    check(auth.get("type") == "mtls" or ref, f"{where}: SASL credentials from a Secret (jaasConfig.secretRef)")
    return ref


def basic_login(where, block, url_key="url"):
    """A REST client: https, TLS on (unless no tls block exists in the schema) and basic auth."""
    url = block.get(url_key, "")
    check(url.startswith("https://"), f"{where}: https URL, not {url!r}")
    if "tls" in block or url_key == "url":
        check(tls_on(block.get("tls")), f"{where}: TLS enabled")
    auth = block.get("authentication") or {}
    check(auth.get("type") in ("basic", "mtls"), f"{where}: basic (or mTLS) authentication")
    return (auth.get("basic") or {}).get("secretRef")


def basic_server(where, auth):
    auth = auth or {}
    check(auth.get("type") in ("basic", "mtls"), f"{where}: REST API with basic (or mTLS) authentication, not {auth.get('type')!r}")
    return (auth.get("basic") or {}).get("secretRef")


def parse_acls(docs):
    acls = {}
    cms = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "kafka-acls"]
    check(len(cms) == 1, "one ConfigMap kafka-acls (confluent/acls.yaml)")
    for cm in cms:
        for n, line in enumerate(cm["data"]["acls.txt"].splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            check(len(parts) == 5, f"acls.txt line {n}: 5 fields: {line!r}")
            if len(parts) != 5:
                continue
            principal, rtype, pattern, name, ops = parts
            check(rtype in ("topic", "group", "transactional-id", "cluster"), f"acls.txt line {n}: resource type {rtype!r}")
            check(pattern in ("literal", "prefixed"), f"acls.txt line {n}: pattern type {pattern!r}")
            check(principal.startswith("User:") and principal != "User:*", f"acls.txt line {n}: a named principal, not {principal!r}")
            acls.setdefault(principal, {}).setdefault((rtype, pattern, name), set()).update(ops.split(","))
    return acls


def check_security(kinds, docs, secrets, chart, values):
    refs = {}  # Secret name -> what uses it (to check against the rendered Secrets)

    def use(ref, role, where):
        check(bool(ref), f"{where}: a Secret for {role}")
        if ref:
            refs.setdefault(ref, set()).add(role)

    # Nothing in clear: no http:// endpoint anywhere in confluent/.
    for d in docs:
        text = yaml.safe_dump(d)
        check("http://" not in text, f"{d['kind']}/{d['metadata']['name']}: no plain http:// URL")

    kraft, kafka = kinds["KRaftController"][0]["spec"], kinds["Kafka"][0]["spec"]
    for kind in ("KRaftController", "Kafka", "Connect", "KsqlDB", "ControlCenter"):
        check(own_tls(kinds[kind][0]["spec"]), f"{kind}: TLS certificates (autoGeneratedCerts or a Secret)")
    if any((kinds[k][0].get("spec", {}).get("tls") or {}).get("autoGeneratedCerts") for k in kinds):
        refs.setdefault("ca-pair-sslcerts", set()).add("ca-pair")

    # Controllers: TLS + SASL on the controller listener, ACL authorization.
    ctl = (kraft.get("listeners") or {}).get("controller") or {}
    use(kafka_login("KRaftController listener controller", ctl), "kafka-server", "KRaftController")
    # Brokers: every listener secured, broker-to-controller too.
    listeners = kafka.get("listeners") or {}
    for name in ("internal", "replication"):
        check(name in listeners, f"Kafka listener {name} stated (not CFK's plaintext default)")
    for name, block in listeners.items():
        if name == "custom":
            for c in block:
                use(kafka_login(f"Kafka custom listener {c.get('name')}", c), "kafka-server", "Kafka")
        else:
            use(kafka_login(f"Kafka listener {name}", block), "kafka-server", "Kafka")
    dep = kafka["dependencies"]["kRaftController"].get("controllerListener") or {}
    use(kafka_login("Kafka -> KRaftController", dep), "kafka-client:kafka", "Kafka")
    for kind, spec in (("KRaftController", kraft), ("Kafka", kafka)):
        authz = spec.get("authorization") or {}
        check(authz.get("type") == "simple", f"{kind}: ACL authorization (authorization.type simple)")
        check(set(authz.get("superUsers", [])) <= SUPER_USERS and "User:kafka" in authz.get("superUsers", []),
              f"{kind}: super users only {sorted(SUPER_USERS)}: {authz.get('superUsers')}")
        check("allow.everyone.if.no.acl.found=false" in (spec.get("configOverrides") or {}).get("server", []),
              f"{kind}: allow.everyone.if.no.acl.found=false stated")
        mc = (spec.get("dependencies") or {}).get("metricsClient")
        if mc:
            use(basic_login(f"{kind} metricsClient", mc), "basic-client:prometheus", kind)
    rest = (kafka.get("services") or {}).get("kafkaRest") or {}
    check(tls_on(rest.get("tls")), "Kafka Admin REST API (services.kafkaRest): TLS")
    use(basic_server("Kafka Admin REST API", rest.get("authentication")), "basic-server", "Kafka kafkaRest")

    # Connect, ksqlDB, Control Center: REST with TLS and a login, Kafka over SASL_SSL.
    logins = {}
    for kind in ("Connect", "KsqlDB", "ControlCenter"):
        spec = kinds[kind][0]["spec"]
        use(basic_server(f"{kind} REST API", spec.get("authentication")), "basic-server", kind)
        ref = kafka_login(f"{kind} -> Kafka", spec["dependencies"].get("kafka") or {})
        use(ref, f"kafka-client:{kind}", kind)
        logins[kind] = ref
    check(len(set(logins.values())) == len(logins), f"one Kafka login per component: {logins}")
    c3 = kinds["ControlCenter"][0]["spec"]
    for key in ("prometheusClient", "alertManagerClient"):
        use(basic_login(f"ControlCenter {key}", c3["dependencies"][key]), "basic-client", f"ControlCenter {key}")
    for key in ("connect", "ksqldb"):
        for dep in c3["dependencies"].get(key, []):
            use(basic_login(f"ControlCenter -> {key} {dep.get('name')}", dep), "basic-client", f"ControlCenter {key}")
    for svc in ("prometheus", "alertmanager"):
        block = c3["services"][svc]
        check(own_tls(block), f"ControlCenter {svc}: TLS")
        use(basic_server(f"ControlCenter {svc}", block.get("authentication")), "basic-server", f"ControlCenter {svc}")

    # The connector: Connect's REST API over https with a login; its own Kafka client over SASL_SSL
    # with the login and CA from mounted Secrets.
    conn = kinds["Connector"][0]["spec"]
    use(basic_login("Connector -> Connect REST", conn.get("connectRest") or {}, "endpoint"), "basic-client", "Connector")
    cfg = conn["configs"]
    mounted = {m["secretRef"] for m in kinds["Connect"][0]["spec"].get("mountedSecrets", [])}
    check(cfg.get("confluent.topic.security.protocol") == "SASL_SSL", "connector's license client: SASL_SSL")
    check(cfg.get("confluent.topic.sasl.mechanism") == "PLAIN", "connector's license client: PLAIN")
    m = re.fullmatch(r"\$\{file:/mnt/secrets/([a-z0-9-]+)/[^:}]+:sasl\.jaas\.config\}", cfg.get("confluent.topic.sasl.jaas.config", ""))
    check(m is not None and m.group(1) in mounted and m.group(1) == logins["Connect"],
          "connector's license client: JAAS line from Connect's own login Secret, mounted")
    m = re.fullmatch(r"/mnt/secrets/([a-z0-9-]+)/[^/]+", cfg.get("confluent.topic.ssl.truststore.location", ""))
    check(m is not None and m.group(1) in mounted, "connector's license client: CA from a mounted Secret")
    if m:
        use(m.group(1), "ca", "Connector truststore")
    for ref in mounted:
        refs.setdefault(ref, set()).add("mounted")
    for t in kinds["KafkaTopic"]:
        use(basic_login(f"KafkaTopic {t['spec']['name']} -> Admin REST", t["spec"].get("kafkaRest") or {}, "endpoint"),
            "basic-client", "KafkaTopic")

    # ACLs: each principal that is not a super user has ACLs; the job exactly its own.
    acls = parse_acls(docs)
    check(set(a.split(":", 1)[1] for a in acls) == ACL_PRINCIPALS, f"ACLs for exactly {sorted(ACL_PRINCIPALS)}: {sorted(acls)}")
    check(acls.get("User:kstream-app") == JOB_ACLS, f"the job's ACLs are exactly {JOB_ACLS}: {acls.get('User:kstream-app')}")
    ksql_id = [o.split("=", 1)[1] for o in (kinds["KsqlDB"][0]["spec"].get("configOverrides") or {}).get("server", [])
               if o.startswith("ksql.service.id=")]
    check(len(ksql_id) == 1, "KsqlDB: ksql.service.id stated (its ACLs name it)")
    if ksql_id:
        check(("topic", "prefixed", f"_confluent-ksql-{ksql_id[0]}") in acls.get("User:ksqldb", {}),
              "ksqlDB's internal topics allowed under its service id")
    group = kinds["Connect"][0]["spec"].get("groupID")
    check(("group", "literal", group) in acls.get("User:connect", {}) and
          ("topic", "prefixed", f"{group}-") in acls.get("User:connect", {}), f"Connect's group {group} and its internal topics allowed")
    for principal, grants in acls.items():
        for (rtype, pattern, name), ops in grants.items():
            if principal != "User:controlcenter":
                check(name != "*", f"{principal}: no wildcard {rtype} ACL")
            if principal == "User:controlcenter":
                check(ops <= {"Describe", "DescribeConfigs"} or name == "_confluent-command",
                      f"Control Center only sees (Describe, DescribeConfigs), {rtype} {name}: {sorted(ops)}")
    job = [d for d in docs if d["kind"] == "Job" and d["metadata"]["name"] == "kafka-acls"]
    check(len(job) == 1, "a Job kafka-acls that adds them")
    for j in job:
        vols = {v["secret"]["secretName"] for v in j["spec"]["template"]["spec"]["volumes"] if "secret" in v}
        for v in vols:
            use(v, "acl-admin", "Job kafka-acls")
        pod = j["spec"]["template"]["spec"]
        c = pod["containers"][0]
        check(pod["securityContext"].get("runAsNonRoot") and pod["securityContext"].get("seccompProfile", {}).get("type") == "RuntimeDefault"
              and c["securityContext"].get("allowPrivilegeEscalation") is False and c["securityContext"]["capabilities"]["drop"] == ["ALL"],
              "Job kafka-acls: Pod Security restricted")

    # The chart's defaults are a client of this platform: SASL_SSL with PLAIN as the job's
    # principal, the CA mounted from its Secret, the ksqlDB Job over https with a login.
    cm = [d for d in chart if d["kind"] == "ConfigMap" and "caf-application.ini" in d["data"]][0]["data"]["caf-application.ini"]
    props = re.search(r'^properties=\[(.*)\]$', cm, re.M)
    props = dict(p.split("=", 1) for p in re.findall(r'"([^"]*)"', props.group(1))) if props else {}
    check(props.get("security.protocol") == "SASL_SSL" and props.get("sasl.mechanisms") == "PLAIN",
          f"chart: SASL_SSL with PLAIN, as the platform's listener wants: {props}")
    check(props.get("ssl.endpoint.identification.algorithm", "https") == "https", "chart: broker host names verified")
    group = re.search(r'^group-id="([^"]+)"$', cm, re.M).group(1)
    check(("group", "literal", group) in acls.get("User:kstream-app", {}), f"chart's group {group} is the one the job's ACLs allow")
    workloads = [d for d in chart if d["kind"] in ("Deployment", "StatefulSet")]
    check(len(workloads) == 1, "chart: one workload")
    for w in workloads:
        pod = w["spec"]["template"]["spec"]
        mounts = {m["mountPath"].rstrip("/"): m["name"] for c in pod["containers"] for m in c.get("volumeMounts", [])}
        volumes = {v["name"]: v.get("secret", {}).get("secretName") for v in pod["volumes"]}
        ca = props.get("ssl.ca.location", "")
        ca_secret = next((volumes.get(name) for path, name in mounts.items() if ca.startswith(path + "/")), None)
        check(ca_secret is not None, f"chart: ssl.ca.location {ca!r} is a file of a mounted Secret")
        use(ca_secret, "ca", "chart ssl.ca.location")
        env = {e["name"]: e["valueFrom"]["secretKeyRef"] for c in pod["containers"] for e in c.get("env", [])
               if "secretKeyRef" in e.get("valueFrom", {})}
        for var in ("KSTREAM_RDKAFKA_SASL_USERNAME", "KSTREAM_RDKAFKA_SASL_PASSWORD"):
            check(var in env, f"chart: {var} from a Secret")
        logins = {e["name"] for e in env.values()}
        check(len(logins) == 1, f"chart: the job's login from one Secret: {logins}")
        for name in logins:
            refs.setdefault(name, set()).add("job-login")
    ksql_job = values["ksqlJob"]
    use(ksql_job.get("loginSecret"), "netrc", "chart ksqlJob.loginSecret")
    use(ksql_job.get("caSecret"), "ca", "chart ksqlJob.caSecret")

    if secrets is not None:
        check_secrets(refs, secrets, acls)


# What each use of a Secret reads from it (CFK's file names; ours for the mounted ones).
SECRET_KEYS = {
    "ca-pair": {"tls.crt", "tls.key"},
    "kafka-server": {"plain-users.json", "plain-interbroker.txt"},
    "basic-server": {"basic.txt"},
    "basic-client": {"basic.txt"},
    "ca": {"ca.crt"},
    "acl-admin": {"admin.properties", "ca.crt"},
    "netrc": {"netrc"},
    "job-login": {"username", "password"},
}


def decoded(secret, key):
    return base64.b64decode(secret["data"][key]).decode()


# Secrets that another step makes (not cfk-secrets.py).
OTHER_SECRETS = {"azure-blob-credentials"}  # scripts/deploy/blob-secret.sh (make deploy-connector)


def check_secrets(refs, secrets, acls):
    for ref, roles in sorted(refs.items()):
        if ref in OTHER_SECRETS:
            continue
        check(ref in secrets, f"Secret {ref} ({sorted(roles)}) made by scripts/deploy/cfk-secrets.py")
        if ref not in secrets:
            continue
        keys = set(secrets[ref]["data"])
        for role in roles:
            base = role.split(":")[0]
            want = {"plain.txt"} if base == "kafka-client" else SECRET_KEYS.get(base, set())
            check(want <= keys, f"Secret {ref}: keys {sorted(want)} for {role}, has {sorted(keys)}")
            if base == "kafka-client" and "plain.txt" in keys:
                user = re.search(r"^username=(.+)$", decoded(secrets[ref], "plain.txt"), re.M).group(1)
                who = role.split(":")[1]
                check(f"User:{user}" in SUPER_USERS if who == "kafka" else f"User:{user}" in acls,
                      f"{who} logs in as User:{user}, which has ACLs (or is a broker)")
    users = json.loads(decoded(secrets["kafka-sasl-server"], "plain-users.json"))
    for ref, roles in refs.items():
        if "job-login" in roles and ref in secrets and "username" in secrets[ref]["data"]:
            user, password = decoded(secrets[ref], "username"), decoded(secrets[ref], "password")
            check(user == "kstream-app", f"the chart's login {ref} is User:kstream-app, whose ACLs are the job's: {user}")
            check(users.get(user) == password, f"the chart's login {ref}: same password as kafka-sasl-server")
    for principal in list(acls) + sorted(SUPER_USERS):
        check(principal.split(":", 1)[1] in users, f"{principal} can log in (kafka-sasl-server plain-users.json)")
    # The server side knows every login the clients use, with the same password.
    for name, s in secrets.items():
        if "plain.txt" in s["data"]:
            text = decoded(s, "plain.txt")
            user = re.search(r"^username=(.+)$", text, re.M).group(1)
            password = re.search(r"^password=(.+)$", text, re.M).group(1)
            check(users.get(user) == password, f"Secret {name}: login {user} is in kafka-sasl-server with the same password")


if __name__ == "__main__":
    main()
