#!/usr/bin/env bash
# The offline policy check: checkov (pinned with every dependency,
# scripts/deploy/checkov-requirements.txt) over terraform/ with its built-in Azure checks and
# ours (tests/deploy/checkov/*.yaml: workload identity, Entra ID RBAC, zones, maintenance
# windows, Entra ID storage sign-in), and over the chart's renderings (framework kubernetes).
# What fails must be exactly the reviewed list tests/deploy/checkov-skips.txt (each with its
# reason): no unlisted failure, no stale entry. Then edits that break the baseline must be
# caught, one per check that guards it.
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "$0")/lib.sh"
need checkov python3 helm
skips="$repo/tests/deploy/checkov-skips.txt"
# No network: no download of Bridgecrew's policies, no version check.
export BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false
ckv_version="$(checkov --version)"

# failed FRAMEWORK PATH: the ids of the failing checks, one per line, sorted.
failed() {
  local framework="$1" path="$2" flag=-d
  [ -f "$path" ] && flag=-f
  checkov --framework "$framework" "$flag" "$path" --external-checks-dir "$repo/tests/deploy/checkov" \
    --skip-download --soft-fail --compact -o json >"$work/ckv.json" 2>"$work/ckv.err" \
    || { cat "$work/ckv.err"; fail "checkov $framework $path"; }
  python3 - "$work/ckv.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
reports = out if isinstance(out, list) else [out]
ids = set()
for r in reports:
    if isinstance(r, dict) and "results" in r:
        ids |= {c["check_id"] for c in r["results"]["failed_checks"]}
    elif isinstance(r, dict) and r.get("passed", 0) == 0 and r.get("failed", 0) == 0:
        pass  # an empty summary: nothing of this framework found
    else:
        sys.exit(f"unexpected checkov output: {str(r)[:200]}")
print("\n".join(sorted(ids)))
PY
}
# listed FRAMEWORK: the reviewed skips of that framework (each must have a reason).
listed() {
  python3 - "$skips" "$1" <<'PY'
import re, sys
ids = []
for n, line in enumerate(open(sys.argv[1]), 1):
    if not line.strip() or line.startswith("#"):
        continue
    m = re.fullmatch(r"(terraform|kubernetes) (CKV2?_[A-Z0-9_]+) (.{20,})", line.rstrip("\n"))
    if not m:
        sys.exit(f"checkov-skips.txt line {n}: want 'framework CHECK_ID reason (20+ characters)': {line!r}")
    if m.group(1) == sys.argv[2]:
        ids.append(m.group(2))
if len(ids) != len(set(ids)):
    sys.exit("checkov-skips.txt: a check listed twice")
print("\n".join(sorted(ids)))
PY
}
# same_as_listed FRAMEWORK WHAT PATH
same_as_listed() {
  failed "$1" "$3" >"$work/failed.txt" || exit 1
  listed "$1" >"$work/listed.txt" || fail "tests/deploy/checkov-skips.txt"
  local new stale
  new="$(comm -23 "$work/failed.txt" "$work/listed.txt")"
  stale="$(comm -13 "$work/failed.txt" "$work/listed.txt")"
  [ -z "$new" ] || { python3 -c 'import json,sys; [print(c["check_id"], c["resource"], c["check_name"]) for r in ([json.load(open(sys.argv[1]))] if not isinstance(json.load(open(sys.argv[1])), list) else json.load(open(sys.argv[1]))) if "results" in r for c in r["results"]["failed_checks"]]' "$work/ckv.json"; fail "$2: checkov failures not in checkov-skips.txt: $new"; }
  [ -z "$stale" ] || fail "$2: listed in checkov-skips.txt but passing now (remove them): $stale"
  ok "checkov $ckv_version, $2: $(wc -l <"$work/failed.txt") failing checks, exactly the reviewed list"
}

rm -rf "$work/tf" && mkdir "$work/tf" && cp terraform/*.tf "$work/tf/"
same_as_listed terraform "terraform/ (built-in Azure checks + tests/deploy/checkov)" "$work/tf"

# Each edit breaks one point of the baseline; the check named must catch it.
# A break must be caught by a check that passes before it (not one of the reviewed skips).
not_skipped() { ! grep -qE "^[a-z]+ $1 " "$skips" || fail "$1 is in checkov-skips.txt: it cannot show a break"; }
breaks() { # CHECK_ID WHAT SED-EXPRESSION FILE
  not_skipped "$1"
  rm -rf "$work/tf" && mkdir "$work/tf" && cp terraform/*.tf "$work/tf/"
  sed -i "$3" "$work/tf/$4"
  cmp -s "$work/tf/$4" "terraform/$4" && fail "breaks $1: the edit changed nothing"
  failed terraform "$work/tf" >"$work/failed.txt"
  grep -qx "$1" "$work/failed.txt" || fail "checkov does not catch: $2 ($1)"
  ok "checkov catches: $2 ($1)"
}
breaks CKV_AZURE_141 "local accounts enabled" 's/local_account_disabled            = true/local_account_disabled            = false/' main.tf
breaks CKV2_KSTREAM_2 "Kubernetes RBAC without Azure RBAC" 's/azure_rbac_enabled     = true/azure_rbac_enabled     = false/' main.tf
breaks CKV2_KSTREAM_1 "no workload identity" '/workload_identity_enabled = true/d' main.tf
breaks CKV_AZURE_7 "no network policy engine" '/network_policy      = "cilium"/d' main.tf
breaks CKV_AZURE_6 "no authorized IP ranges" '/authorized_ip_ranges = var.api_server_authorized_ip_ranges/d' main.tf
breaks CKV_AZURE_172 "Key Vault secrets provider without rotation" 's/secret_rotation_enabled  = true/secret_rotation_enabled  = false/' main.tf
breaks CKV_AZURE_171 "no automatic upgrade channel" '/automatic_upgrade_channel = "patch"/d' main.tf
breaks CKV2_KSTREAM_4 "node images without a maintenance window" '/^  maintenance_window_node_os {/,/^  }/d' main.tf
breaks CKV2_KSTREAM_3 "one zone" 's/  default     = \["1", "2", "3"\]/  default     = ["1"]/' variables.tf
breaks CKV_AZURE_35 "storage open to all networks" 's/default_action             = "Deny"/default_action             = "Allow"/' main.tf
breaks CKV2_KSTREAM_5 "storage sign-in with keys by default" 's/default_to_oauth_authentication = true/default_to_oauth_authentication = false/' main.tf
# The chart, as rendered with its defaults and with every option on (framework kubernetes).
chart=charts/kstream-app
render_chart() { # DIR [helm args...]: both renderings into DIR
  local dir="$1"; shift
  rm -rf "$dir" && mkdir -p "$dir"
  helm template kstream-app "$chart" --namespace confluent --kube-version "$KUBERNETES_SCHEMA_VERSION" "$@" >"$dir/default.yaml"
  helm template kstream-app "$chart" --namespace confluent --kube-version "$KUBERNETES_SCHEMA_VERSION" \
    -f "$chart/ci/all-features-values.yaml" "$@" >"$dir/all.yaml"
}
render_chart "$work/chart"
same_as_listed kubernetes "the chart's renderings (defaults, every option)" "$work/chart"
chart_breaks() { # CHECK_ID WHAT HELM-SET...
  local id="$1" what="$2"; shift 2
  not_skipped "$id"
  render_chart "$work/chart-bad" "$@"
  failed kubernetes "$work/chart-bad" >"$work/failed.txt"
  grep -qx "$id" "$work/failed.txt" || fail "checkov does not catch in the chart: $what ($id)"
  ok "checkov catches in the chart: $what ($id)"
}
chart_breaks CKV2_K8S_6 "no NetworkPolicy" --set networkPolicy.enabled=false
chart_breaks CKV_K8S_20 "privilege escalation allowed" --set securityContext.allowPrivilegeEscalation=true
chart_breaks CKV_K8S_22 "writable root file system" --set securityContext.readOnlyRootFilesystem=false
chart_breaks CKV_K8S_19 "host network" --set hostNetwork=true
done_checks
