#!/usr/bin/env bash
# The Helm chart: helm lint, helm template with the default values (Deployment mode), the
# defaults in StatefulSet mode, and every optional feature on (ci/all-features-values.yaml,
# StatefulSet mode), each validated by kubeconform -strict
# against tests/deploy/schemas/; then what the rendering must say (config contract,
# probes, security, grace period, secrets as env vars) and what it must refuse.
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "$0")/lib.sh"
need helm kubeconform python3
chart=charts/kstream-app
all="$chart/ci/all-features-values.yaml"
kv=(--kube-version "$KUBERNETES_SCHEMA_VERSION")

# Without ksql/*.sql in the chart yet, the all-features rendering submits inline statements.
extra=()
if ! ls "$chart"/files/ksql/*.sql >/dev/null 2>&1; then
  extra=(--set-string 'ksqlJob.statements=SHOW STREAMS;')
  echo "note: no files/ksql/*.sql in the chart yet; the ksql Job is rendered with inline statements"
fi

helm lint --strict "$chart" "${kv[@]}" >"$work/lint.out" 2>&1 || { cat "$work/lint.out"; fail "helm lint (defaults)"; }
ok "helm lint --strict, default values"
helm lint --strict "$chart" "${kv[@]}" -f "$all" "${extra[@]}" >"$work/lint.out" 2>&1 || { cat "$work/lint.out"; fail "helm lint (all features)"; }
ok "helm lint --strict, every optional feature on"

helm template kstream-app "$chart" --namespace confluent "${kv[@]}" >"$work/default.yaml"
helm template kstream-app "$chart" --namespace confluent "${kv[@]}" -f "$all" "${extra[@]}" >"$work/all.yaml"
helm template kstream-app "$chart" --namespace confluent "${kv[@]}" --set workload.kind=StatefulSet >"$work/statefulset.yaml"
for r in default all statefulset; do
  kubeconform_strict "$work/$r.yaml" >"$work/kc.out" 2>&1 || { cat "$work/kc.out"; fail "kubeconform ($r)"; }
  ok "kubeconform -strict ($r values): $(tail -n 1 "$work/kc.out")"
done

python3 "$repo/tests/deploy/check_chart.py" "$work/default.yaml" "$work/all.yaml" "$repo/app/caf-application.ini" \
  "$work/statefulset.yaml"
ok "rendered manifests: config contract, probes, security, grace period, secrets, optional kinds, both workload kinds"
# The check would catch what review found: a Job pod with the job's selector labels, no
# default spread of the replicas.
python3 - "$work/all.yaml" "$work/all-joblabels.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
dep = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")][0]
for d in docs:
    if d["kind"] == "Job":
        d["spec"]["template"]["metadata"]["labels"].update(dep["spec"]["selector"]["matchLabels"])
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
PY
expect_fail "check_chart refuses a Job pod carrying the selector labels" \
  python3 "$repo/tests/deploy/check_chart.py" "$work/default.yaml" "$work/all-joblabels.yaml" "$repo/app/caf-application.ini"
helm template kstream-app "$chart" --namespace confluent "${kv[@]}" --set topologySpread.enabled=false >"$work/nospread.yaml"
expect_fail "check_chart refuses a Deployment without a default spread" \
  python3 "$repo/tests/deploy/check_chart.py" "$work/nospread.yaml" "$work/all.yaml" "$repo/app/caf-application.ini"

# The job itself reads the rendered configuration (when it is built: `make test` builds it
# first): CAF must get back every key with its value and type (--dump-config).
app_bin="$repo/build/app/kstream-app"
if [ -x "$app_bin" ]; then
  ini_of() { python3 -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap" and "caf-application.ini" in d["data"]:
        print(d["data"]["caf-application.ini"])' "$1"; }
  dump_check() {
    timeout 20 "$app_bin" --config-file="$1" --dump-config >"$1.dump" 2>&1 || { cat "$1.dump"; return 1; }
    python3 "$repo/tests/deploy/check_caf_dump.py" "$1" "$1.dump"
  }
  for r in default all statefulset; do
    ini_of "$work/$r.yaml" >"$work/$r.ini"
    dump_check "$work/$r.ini" || fail "kstream-app does not read the chart's configuration back ($r)"
  done
  sed 's/^port=\([0-9]*\)$/port="\1"/' "$work/default.ini" >"$work/wrongtype.ini"
  expect_fail "a wrongly typed value is noticed" dump_check "$work/wrongtype.ini"
  ok "kstream-app --dump-config reads every rendered key back, same values and types"
else
  echo "note: $app_bin not built: the job's own reading of the rendered config is not checked"
fi

# NOTES.txt, as `helm install` prints it (client-side dry run: no cluster).
for r in default all; do
  args=()
  [ "$r" = all ] && args=(-f "$all" "${extra[@]}")
  KUBECONFIG=/nonexistent helm install kstream-app "$chart" --namespace confluent --dry-run=client "${args[@]}" >"$work/notes.out" 2>&1 \
    || { cat "$work/notes.out"; fail "helm install --dry-run=client ($r)"; }
  sed -n '/^NOTES:/,$p' "$work/notes.out" >"$work/notes.txt"
  grep -q "What to do next" "$work/notes.txt" || { cat "$work/notes.out"; fail "NOTES.txt not rendered ($r)"; }
done
if ! grep -q "submitted by the post-install Job" "$work/notes.txt" || ! grep -q "through KEDA" "$work/notes.txt"; then
  cat "$work/notes.txt"; fail "NOTES.txt does not mention the ksql Job and KEDA"
fi
ok "NOTES.txt renders (helm install --dry-run=client) and tells what to do next"

# What the chart must refuse.
render() { helm template kstream-app "$chart" "${kv[@]}" "$@"; }
expect_fail "replicaCount above the partition count" render --set replicaCount=4
expect_fail "replicaCount above the partition count (StatefulSet)" render --set workload.kind=StatefulSet --set replicaCount=4
expect_fail "an unknown workload kind" render --set workload.kind=DaemonSet
expect_fail "one transactional id for several pods" render --set replicaCount=2 --set config.kafka.transactional-id=tx
expect_fail "one transactional id for pods KEDA may add" render --set workload.kind=StatefulSet --set keda.enabled=true \
  --set config.kafka.transactional-id=tx
expect_fail "a fixed instance name in the shared configuration" render --set config.kafka.instance-name=pod
expect_fail "a transaction timeout under twice the commit interval" render --set config.job.commit-interval-ms=6000
expect_fail "a shutdown timeout under the transaction timeout" render --set config.job.shutdown-timeout-ms=5000
expect_fail "grace period shorter than the job's shutdown timeout" render --set terminationGracePeriodSeconds=10
expect_fail "KEDA maxReplicaCount above the partition count" render --set keda.enabled=true --set keda.maxReplicaCount=5
expect_fail "HTTP endpoint switched off (probes need it)" render --set config.http.port=0
expect_fail "unknown key in the job's configuration" render --set config.kafka.bootstrap-server=x:9092
expect_fail "wrong guarantee" render --set config.job.guarantee=exactly-once
expect_fail "a memory limit below the job's memory bound" render --set resources.limits.memory=256Mi
expect_fail "max-in-flight-bytes beyond a given memory limit" render --set resources.limits.memory=512Mi --set config.job.max-in-flight-bytes=268435456
expect_fail "max-in-flight-bytes below 1 MiB" render --set config.job.max-in-flight-bytes=1000
render --set resources.limits.memory=1Gi --set config.job.max-in-flight-bytes=268435456 >/dev/null || fail "1Gi covers 256 MiB in flight"
ok "a given memory limit that covers the bound is taken"
expect_fail "ksql Job without statements" render --set ksqlJob.enabled=true --set 'ksqlJob.files={missing.sql}'

# Security (issue 20): Pod Security "restricted" for every pod, no service links, TLS files from
# Secrets, no secret in the ConfigMap, the NetworkPolicy, image by digest, ksqlDB over https.
python3 "$repo/tests/deploy/check_chart_security.py" "$work/default.yaml" "$work/all.yaml"
ok "security: every pod restricted, no service links, TLS files from read-only Secrets, no secret in the ConfigMap, NetworkPolicy (HTTP port in, brokers and DNS out), image by digest, ksqlDB over https with a netrc login"
sec_refuses() { # WHAT HELM-ARGS...: check_chart_security.py must refuse that rendering
  local what="$1"; shift
  render --namespace confluent "$@" >"$work/sec-bad.yaml"
  expect_fail "check_chart_security refuses $what" python3 "$repo/tests/deploy/check_chart_security.py" "$work/sec-bad.yaml" "$work/all.yaml"
}
sec_refuses "hostNetwork" --set hostNetwork=true
sec_refuses "no NetworkPolicy" --set networkPolicy.enabled=false
sec_refuses "a container that may escalate" --set securityContext.allowPrivilegeEscalation=false --set securityContext.privileged=true
sec_refuses "running as root" --set podSecurityContext.runAsNonRoot=false --set podSecurityContext.runAsUser=0
sec_refuses "egress to everywhere" --set 'networkPolicy.kafka.cidrs={0.0.0.0/0}'
sec_refuses "a CA file outside the mounted Secrets" --set 'config.kafka.properties={security.protocol=SASL_SSL,ssl.ca.location=/etc/ssl/kafka-ca.crt}'
# The schema refuses secrets in config.kafka.properties (they would land in the ConfigMap),
# and the chart refuses files of Secrets it does not mount, a malformed digest, no brokers.
for prop in sasl.password=hunter2 ssl.key.password=x ssl.keystore.password=x 'sasl.jaas.config=x required;' \
            sasl.oauthbearer.client.secret=x ssl.key.pem=x sasl.username=kstream-app; do
  refused_at() { { render "$@" 2>&1 || true; } | grep -o "at '/config/kafka/properties/0'.*"; }  # prints the refusal, fails without one
  refused_at --set-json "config.kafka.properties=[\"ssl.ca.location=/x\"]" >/dev/null && fail "the schema refuses a harmless property"
  refused_at --set-json "config.kafka.properties=[\"$prop\"]" >"$work/refusal.txt" || fail "${prop%%=*} accepted in config.kafka.properties"
  ok "the schema refuses secret-like property ${prop%%=*} in config.kafka.properties ($(cat "$work/refusal.txt"))"
done
expect_fail "a TLS file of a Secret kafkaTls does not mount" render --set 'config.kafka.properties={ssl.ca.location=/etc/kafka-tls/other-ca/ca.crt}'
expect_fail "image.digest that is not sha256:<64 hex>" render --set image.digest=sha256:abc
expect_fail "NetworkPolicy without brokers" render --set-json 'networkPolicy.kafka.namespaces=[]'
render --set image.repository=reg.example/kstream-app --set image.digest=sha256:"$(printf 'a%.0s' {1..64})" | grep -q "image: \"reg.example/kstream-app@sha256:a\{64\}\"" \
  || fail "image.digest does not give repository@digest"
ok "image.digest renders repository@sha256:..., tag left out"
done_checks
