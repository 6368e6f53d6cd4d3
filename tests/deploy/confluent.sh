#!/usr/bin/env bash
# confluent/: kubeconform -strict against tests/deploy/schemas/ (Kubernetes and the CFK
# kinds), a check that the validation is strict indeed (a misspelt field must be
# refused), then what the platform must be (KRaft, on-demand plugin, secret-free
# connector, the four topics) and that it agrees with the chart's defaults.
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
for path in ("confluent/platform.yaml", "confluent/connector.yaml", "confluent/topics.yaml"):
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
python3 "$repo/tests/deploy/check_confluent.py" "$work/chart.yaml" confluent/*.yaml
ok "platform: KRaft, on-demand plugin, secret-free connector, topics, matches the chart"

# ... and refuses what review found: an implicit connector mode, a key the mode ignores, an
# unpinned plugin.
sed '/^    mode: RESTORE_BACKUP$/d' confluent/connector.yaml >"$work/nomode.yaml"
expect_fail "check_confluent refuses an implicit connector mode" \
  python3 "$repo/tests/deploy/check_confluent.py" "$work/chart.yaml" confluent/platform.yaml confluent/topics.yaml confluent/namespace.yaml "$work/nomode.yaml"
sed 's/^    topics.dir: topics$/&\n    topic.regex.list: "expedia:.*"/' confluent/connector.yaml >"$work/regex.yaml"
expect_fail "check_confluent refuses topic.regex.list in RESTORE_BACKUP mode" \
  python3 "$repo/tests/deploy/check_confluent.py" "$work/chart.yaml" confluent/platform.yaml confluent/topics.yaml confluent/namespace.yaml "$work/regex.yaml"
sed 's/^            version: .*/            version: latest/' confluent/platform.yaml >"$work/latest.yaml"
expect_fail "check_confluent refuses plugin version latest" \
  python3 "$repo/tests/deploy/check_confluent.py" "$work/chart.yaml" "$work/latest.yaml" confluent/topics.yaml confluent/namespace.yaml confluent/connector.yaml
done_checks
