#!/usr/bin/env bash
# confluent/: kubeconform -strict against tests/deploy/schemas/ (Kubernetes and the CFK
# kinds), a check that the validation is strict indeed (a misspelt field must be
# refused), then what the platform must be (KRaft, on-demand plugin, secret-free
# connector, the four topics; secure by default: TLS, SASL, ACLs, REST logins, every
# Secret made by scripts/deploy/cfk-secrets.py) and that it agrees with the chart's defaults.
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "$0")/lib.sh"
need kubeconform python3 helm

kubeconform_strict confluent/*.yaml >"$work/kc.out" 2>&1 || { cat "$work/kc.out"; fail "kubeconform confluent/"; }
ok "kubeconform -strict confluent/*.yaml: $(tail -n 1 "$work/kc.out")"

# CFK's schemas are the vendored ones, byte for byte (PROVENANCE lists their sha256).
cfk_dir="$repo/tests/deploy/schemas/platform.confluent.io"
(cd "$cfk_dir" && sed -n 's/^\([0-9a-f]\{64\}\)  \(.*\.json\)$/\1  \2/p' PROVENANCE | sha256sum --quiet -c -) \
  || fail "tests/deploy/schemas/platform.confluent.io/*.json differ from PROVENANCE"
[ "$(find "$cfk_dir" -maxdepth 1 -name "*.json" | wc -l)" -eq "$(grep -c '\.json$' "$cfk_dir/PROVENANCE")" ] || fail "a CFK schema not in PROVENANCE"
ok "CFK 3.3.0 schemas as vendored ($(grep -c '\.json$' "$cfk_dir/PROVENANCE") kinds, sha256 match PROVENANCE)"

# What CFK 3.3.0 refuses and a hand-written subset once accepted: each must be an error.
# (yq-free edits: each case appends or removes lines of one resource.)
cfk_case() { # NAME FILE: FILE must be refused
  expect_fail "CFK schema refuses $1" kubeconform_strict "$2"
}
python3 - "$work" <<'PY'
import sys, yaml
out = sys.argv[1]
docs = {}
for path in ("confluent/platform.yaml", "confluent/connector.yaml", "confluent/topics.yaml", "confluent/acls.yaml"):
    for d in yaml.safe_load_all(open(path)):
        if d:
            docs.setdefault(d["kind"], d)
def case(name, kind, edit):
    d = yaml.safe_load(yaml.safe_dump(docs[kind]))
    edit(d["spec"])
    yaml.safe_dump(d, open(f"{out}/cfk-{name}.yaml", "w"))
case("kafka-externalAccess", "Kafka", lambda s: s.update(externalAccess={"type": "loadBalancer"}))
case("kraft-externalAccess", "KRaftController", lambda s: s.update(externalAccess={"type": "loadBalancer"}))
case("connect-storageClass", "Connect", lambda s: s.update(storageClass={"name": "managed-csi"}))
case("connect-dataVolumeCapacity", "Connect", lambda s: s.update(dataVolumeCapacity="10Gi"))
case("connector-state", "Connector", lambda s: s.update(state="running"))
case("controlcenter-no-prometheus", "ControlCenter", lambda s: s["services"].pop("prometheus"))
case("controlcenter-prometheus-resources", "ControlCenter",
     lambda s: s["services"]["prometheus"].update(resources={"requests": {"cpu": "1"}}))
PY
for f in "$work"/cfk-*.yaml; do
  n="${f##*/cfk-}"; cfk_case "${n%.yaml}" "$f"
done

# The schemas must be strict: an unknown field and a wrong type are errors.
sed 's/^  partitionCount: 3$/  partitionCont: 3/' confluent/topics.yaml >"$work/typo.yaml"
expect_fail "kubeconform refuses a misspelt KafkaTopic field" kubeconform_strict "$work/typo.yaml"
sed 's/^  replicas: 3$/  replicas: three/' confluent/platform.yaml >"$work/type.yaml"
expect_fail "kubeconform refuses a wrong type in Kafka" kubeconform_strict "$work/type.yaml"

helm template kstream-app charts/kstream-app --kube-version "$KUBERNETES_SCHEMA_VERSION" >"$work/chart.yaml"
# The Secrets as `make deploy-cfk-secrets` makes them (random passwords, a fresh CA).
python3 scripts/deploy/cfk-secrets.py init "$work/creds" 2>/dev/null
python3 scripts/deploy/cfk-secrets.py render "$work/creds" >"$work/secrets.json"
[ "$(stat -c %a "$work/creds" "$work/creds/ca.key" "$work/creds/passwords/kstream-app" | sort -u | tr '\n' ' ')" = "600 700 " ] \
  || fail "cfk-secrets.py init: credentials not private (want 0700 directory, 0600 files)"
for f in "$work"/creds/passwords/*; do
  ! grep -rqF -- "$(cat "$f")" confluent charts || fail "a password of cfk-secrets.py is in confluent/ or charts/"
done
python3 -c 'import json, sys, yaml; yaml.safe_dump_all(json.load(open(sys.argv[1]))["items"], open(sys.argv[2], "w"))' \
  "$work/secrets.json" "$work/secrets.yaml"
kubeconform_strict "$work/secrets.yaml" >"$work/kc.out" 2>&1 || { cat "$work/kc.out"; fail "kubeconform of cfk-secrets.py's Secrets"; }
python3 "$repo/tests/deploy/check_confluent.py" --secrets "$work/secrets.json" "$work/chart.yaml" confluent/*.yaml
ok "platform: KRaft, on-demand plugin, secret-free connector, topics, matches the chart"
ok "secure: TLS on every listener and REST endpoint, SASL/PLAIN per component, ACL authorization with the job's exact ACLs, basic auth on every REST API; every Secret referred to is made by cfk-secrets.py with the keys its user reads ($(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$work/secrets.json") Secrets)"

# ... and refuses each hole that review would look for: one edit of the manifests (or of the
# rendered Secrets) per case, each must fail check_confluent.py.
python3 - "$work" <<'PY'
import json, sys, yaml
out = sys.argv[1]
files = {p: [d for d in yaml.safe_load_all(open(p)) if d] for p in
         ("confluent/platform.yaml", "confluent/connector.yaml", "confluent/topics.yaml", "confluent/acls.yaml", "confluent/namespace.yaml")}
def find(kind):
    for docs in files.values():
        for d in docs:
            if d["kind"] == kind:
                return d
def case(name, kind, edit):
    saved = yaml.safe_dump_all([d for docs in files.values() for d in docs])
    edit(find(kind))
    with open(f"{out}/sec-{name}.yaml", "w") as f:
        yaml.safe_dump_all([d for docs in files.values() for d in docs], f)
    for p, docs in files.items():  # undo: reload
        files[p] = [d for d in yaml.safe_load_all(open(p)) if d]
def acl(line):
    def edit(cm):
        cm["data"]["acls.txt"] += line + "\n"
    return edit
case("kafka-listener-no-tls", "Kafka", lambda d: d["spec"]["listeners"]["internal"]["tls"].update(enabled=False))
case("kafka-listener-no-auth", "Kafka", lambda d: d["spec"]["listeners"]["internal"].pop("authentication"))
case("kafka-no-replication-listener", "Kafka", lambda d: d["spec"]["listeners"].pop("replication"))
case("kraft-no-authorization", "KRaftController", lambda d: d["spec"].pop("authorization"))
case("kafka-superuser-connect", "Kafka", lambda d: d["spec"]["authorization"]["superUsers"].append("User:connect"))
case("kafka-allow-everyone", "Kafka", lambda d: d["spec"]["configOverrides"].update(server=["min.insync.replicas=2"]))
case("kafka-rest-no-auth", "Kafka", lambda d: d["spec"]["services"]["kafkaRest"].pop("authentication"))
case("connect-no-rest-auth", "Connect", lambda d: d["spec"].pop("authentication"))
case("ksqldb-no-tls", "KsqlDB", lambda d: d["spec"].pop("tls"))
case("c3-http-connect", "ControlCenter", lambda d: d["spec"]["dependencies"]["connect"][0].update(url="http://connect.confluent.svc.cluster.local:8083"))
case("c3-shares-connect-login", "ControlCenter", lambda d: d["spec"]["dependencies"]["kafka"]["authentication"]["jaasConfig"].update(secretRef="connect-kafka-client"))
case("prometheus-no-auth", "ControlCenter", lambda d: d["spec"]["services"]["prometheus"].pop("authentication"))
case("connector-plaintext-license", "Connector", lambda d: d["spec"]["configs"].update({"confluent.topic.security.protocol": "PLAINTEXT"}))
case("topic-rest-no-auth", "KafkaTopic", lambda d: d["spec"]["kafkaRest"].pop("authentication"))
case("job-acl-wildcard", "ConfigMap", acl("User:kstream-app topic literal * Read"))
case("job-acl-all-groups", "ConfigMap", acl("User:kstream-app group prefixed kstream All"))
case("acl-everyone", "ConfigMap", acl("User:* topic literal expedia Read"))
case("c3-reads-data", "ConfigMap", acl("User:controlcenter topic literal expedia_ext Read"))
case("acl-job-root", "Job", lambda d: d["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot=False))
secrets = json.load(open(f"{out}/secrets.json"))
def secret_case(name, edit):
    s = json.loads(json.dumps(secrets))
    edit({i["metadata"]["name"]: i for i in s["items"]}, s)
    json.dump(s, open(f"{out}/secrets-{name}.json", "w"))
import base64
secret_case("missing-ksqldb-login", lambda by, s: s["items"].remove(by["ksqldb-kafka-client"]))
secret_case("missing-kafka-ca", lambda by, s: s["items"].remove(by["kafka-ca"]))
secret_case("wrong-password", lambda by, s: by["connect-kafka-client"]["data"].update(
    {"plain.txt": base64.b64encode(b"username=connect\npassword=not-the-one\n").decode()}))
secret_case("connect-logs-in-as-kafka", lambda by, s: by["connect-kafka-client"]["data"].update(
    {"plain.txt": by["kafka-kraft-sasl-client"]["data"]["plain.txt"]}))
PY
for f in "$work"/sec-*.yaml; do
  n="${f##*/sec-}"
  expect_fail "check_confluent refuses ${n%.yaml}" python3 "$repo/tests/deploy/check_confluent.py" "$work/chart.yaml" "$f"
done
confluent_files=(confluent/platform.yaml confluent/connector.yaml confluent/topics.yaml confluent/acls.yaml confluent/namespace.yaml)
for f in "$work"/secrets-*.json; do
  n="${f##*/secrets-}"
  expect_fail "check_confluent refuses Secrets: ${n%.json}" \
    python3 "$repo/tests/deploy/check_confluent.py" --secrets "$f" "$work/chart.yaml" "${confluent_files[@]}"
done
# `make deploy-ksql`'s throw-away pod: a valid Pod under Pod Security "restricted", https only.
python3 - "$work/ksql-pod.yaml" <<'PY'
import json, subprocess, sys, yaml
pod = json.loads(subprocess.check_output(["python3", "scripts/deploy/ksql-submit-overrides.py", "ksql-submit-1",
                                          "https://ksqldb.confluent.svc.cluster.local:8088/ksql"]))
pod.update(kind="Pod", metadata={"name": "ksql-submit-1", "namespace": "confluent"})
yaml.safe_dump(pod, open(sys.argv[1], "w"))
c = pod["spec"]["containers"][0]
assert pod["spec"]["securityContext"]["runAsNonRoot"] and c["securityContext"]["capabilities"]["drop"] == ["ALL"]
assert "--netrc-file" in c["args"] and "--cacert" in c["args"] and not any("password" in a for a in c["args"])
PY
kubeconform_strict "$work/ksql-pod.yaml" >"$work/kc.out" 2>&1 || { cat "$work/kc.out"; fail "make deploy-ksql's pod"; }
ok "make deploy-ksql's pod: valid, restricted, TLS with the CA of Secret kafka-ca, login from a netrc file"
expect_fail "ksql-submit-overrides.py refuses http://" python3 scripts/deploy/ksql-submit-overrides.py x http://ksqldb:8088/ksql

# The script refuses credentials that others can read, and a half-given CA.
chmod 644 "$work/creds/passwords/connect"
expect_fail "cfk-secrets.py refuses a password file readable by others" python3 scripts/deploy/cfk-secrets.py render "$work/creds"
chmod 600 "$work/creds/passwords/connect"
expect_fail "cfk-secrets.py refuses CFK_CA_CERT without CFK_CA_KEY" env CFK_CA_CERT="$work/creds/ca.crt" python3 scripts/deploy/cfk-secrets.py render "$work/creds"

# ... and refuses what review found: an implicit connector mode, a key the mode ignores, an
# unpinned plugin.
sed '/^    mode: RESTORE_BACKUP$/d' confluent/connector.yaml >"$work/nomode.yaml"
expect_fail "check_confluent refuses an implicit connector mode" \
  python3 "$repo/tests/deploy/check_confluent.py" "$work/chart.yaml" confluent/platform.yaml confluent/topics.yaml confluent/acls.yaml confluent/namespace.yaml "$work/nomode.yaml"
sed 's/^    topics.dir: topics$/&\n    topic.regex.list: "expedia:.*"/' confluent/connector.yaml >"$work/regex.yaml"
expect_fail "check_confluent refuses topic.regex.list in RESTORE_BACKUP mode" \
  python3 "$repo/tests/deploy/check_confluent.py" "$work/chart.yaml" confluent/platform.yaml confluent/topics.yaml confluent/acls.yaml confluent/namespace.yaml "$work/regex.yaml"
sed 's/^            version: .*/            version: latest/' confluent/platform.yaml >"$work/latest.yaml"
expect_fail "check_confluent refuses plugin version latest" \
  python3 "$repo/tests/deploy/check_confluent.py" "$work/chart.yaml" "$work/latest.yaml" confluent/topics.yaml confluent/acls.yaml confluent/namespace.yaml confluent/connector.yaml
done_checks
