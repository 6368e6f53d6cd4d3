#!/usr/bin/env bash
# Common set-up of the deploy tests (sourced): repository root, pinned tool versions,
# the tool cache on PATH, a scratch directory, and small assertion helpers.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/deploy/tool-versions.sh
source "$repo/scripts/deploy/tool-versions.sh"
export PATH="$KSTREAM_TOOLS_BIN:$PATH"
export HELM_CACHE_HOME="${TMPDIR:-/tmp}/kstream-deploy-helm-cache" HELM_CONFIG_HOME="${TMPDIR:-/tmp}/kstream-deploy-helm-config"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$repo"

checks=0
need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 \
      || { echo "FAIL: $tool not found: run \`make setup\` (scripts/setup.d/40-deploy-tools.sh)" >&2; exit 1; }
  done
}
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok: $*"; }
# expect_fail WHAT CMD...: CMD must fail (and its output is shown for the record).
expect_fail() {
  local what="$1"; shift
  if "$@" >"$work/expect_fail.out" 2>&1; then
    cat "$work/expect_fail.out" >&2
    fail "$what: expected a failure, got success"
  fi
  ok "$what (refused: $(grep -m1 -iE 'error|fail|invalid|refus|warn' "$work/expect_fail.out" | sed 's/.*validation failed with [^ ]* - //' | cut -c1-200))"
}
done_checks() { echo "$(basename "$0"): $checks checks passed"; }
KUBECONFORM_SCHEMAS="$repo/tests/deploy/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json"
# CFK's kinds: the schemas as vendored (CRDs-catalog layout, <group>/<kind>_<version>.json).
KUBECONFORM_CFK_SCHEMAS="$repo/tests/deploy/schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
kubeconform_strict() {
  kubeconform -strict -summary -output text -kubernetes-version "$KUBERNETES_SCHEMA_VERSION" \
    -schema-location "$KUBECONFORM_SCHEMAS" -schema-location "$KUBECONFORM_CFK_SCHEMAS" "$@"
}
