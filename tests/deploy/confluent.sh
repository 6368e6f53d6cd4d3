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

# The schemas must be strict: an unknown field and a wrong type are errors.
sed 's/^  partitionCount: 3$/  partitionCont: 3/' confluent/topics.yaml >"$work/typo.yaml"
expect_fail "kubeconform refuses a misspelt KafkaTopic field" kubeconform_strict "$work/typo.yaml"
sed 's/^  replicas: 3$/  replicas: three/' confluent/platform.yaml >"$work/type.yaml"
expect_fail "kubeconform refuses a wrong type in Kafka" kubeconform_strict "$work/type.yaml"

helm template kstream-app charts/kstream-app --kube-version "$KUBERNETES_SCHEMA_VERSION" >"$work/chart.yaml"
python3 "$repo/tests/deploy/check_confluent.py" "$work/chart.yaml" confluent/*.yaml
ok "platform: KRaft, on-demand plugin, secret-free connector, topics, matches the chart"
done_checks
