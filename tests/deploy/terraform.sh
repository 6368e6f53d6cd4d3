#!/usr/bin/env bash
# terraform/: `tofu fmt -check`, then `tofu validate` and variable validation offline.
# The azurerm provider is replaced by azurerm-schema-provider (tests/deploy/tools), which
# serves the schema recorded from a real build of the provider
# (tests/deploy/terraform/azurerm-schema.json), so OpenTofu checks every argument, block,
# type and deprecation against it. Not checked here: the provider's own value checks
# (name patterns, ranges) and anything that needs Azure (plan/apply).
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "$0")/lib.sh"
need tofu python3
provider_dir="$KSTREAM_TOOLS_BIN/tf-dev-overrides"
[ -x "$provider_dir/terraform-provider-azurerm" ] || fail "azurerm-schema-provider not built: run make setup"
export AZURERM_SCHEMA_JSON="$repo/tests/deploy/terraform/azurerm-schema.json"
cat >"$work/cli.tfrc" <<EOF2
provider_installation {
  dev_overrides {
    "hashicorp/azurerm" = "$provider_dir"
  }
  direct {}
}
EOF2
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

tofu fmt -check -diff -recursive terraform >"$work/fmt.out" 2>&1 || { cat "$work/fmt.out"; fail "tofu fmt -check terraform/"; }
ok "tofu fmt -check ($(tofu version | head -n 1))"

# A scratch copy of terraform/ (validate needs no backend; plan gets none, see below).
copy() {
  rm -rf "$work/tf" && mkdir "$work/tf" && cp terraform/*.tf "$work/tf/"
}
# edit SED-EXPRESSION FILE: edit the scratch copy; an edit that changes nothing is an error.
edit() {
  sed -i "$1" "$work/tf/$2"
  ! cmp -s "$work/tf/$2" "terraform/$2" || fail "the edit $1 changed nothing in $2"
}

# validate DIR: tofu validate -json; print the diagnostics; fail on errors or warnings
# other than the one about the development override itself.
validate() {
  (cd "$1" && tofu validate -json -no-color) >"$work/validate.json" 2>"$work/validate.err" || true
  python3 - "$work/validate.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
bad = [d for d in out.get("diagnostics", [])
       if not (d["severity"] == "warning" and "override" in d["summary"].lower())]
for d in bad:
    where = d.get("range", {})
    print(f'{d["severity"]}: {d["summary"]}: {d.get("detail", "")} ({where.get("filename", "")}:{where.get("start", {}).get("line", "")})')
sys.exit(0 if out.get("valid") and not bad else 1)
PY
}

copy
validate "$work/tf" || { cat "$work/validate.err"; fail "tofu validate terraform/"; }
ok "tofu validate: valid against the recorded azurerm schema, no warnings ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["recorded_from"].split()[0])' "$AZURERM_SCHEMA_JSON"))"

# The stand-in must really check the schema: a misspelt argument, a wrong type and a
# missing required argument are errors.
copy; edit 's/is_hns_enabled /is_hns_enable /' main.tf
expect_fail "validate refuses an unknown argument" validate "$work/tf"
copy; edit 's/min_tls_version *= "TLS1_2"/min_tls_version = ["TLS1_2"]/' main.tf
expect_fail "validate refuses a wrong type" validate "$work/tf"
copy; edit '/account_tier /d' main.tf
expect_fail "validate refuses a missing required argument" validate "$work/tf"
copy; edit 's/bypass *= \["AzureServices"\]/bypass = 3/' main.tf
expect_fail "validate refuses a wrong type inside a nested block" validate "$work/tf"

# Variable validations: `tofu plan` evaluates them before it needs the provider (which
# the stand-in refuses to configure), so a bad value fails with our message and good
# values get as far as the provider.
# Without the remote backend (it needs Azure) and without `tofu init` (with a development
# override it is not needed, and it would ask the registry for the provider).
copy
grep -q '^  backend "azurerm" {}$' "$work/tf/versions.tf" || fail "terraform/versions.tf: no azurerm backend block"
sed -i '/^  backend "azurerm" {}$/d' "$work/tf/versions.tf"
plan() { (cd "$work/tf" && tofu plan -input=false -no-color -refresh=false "$@") >"$work/plan.out" 2>&1; }
good=(-var prefix=kstreamdemo -var storage_account_name=stkstreamdemo0001 -var 'api_server_authorized_ip_ranges=["203.0.113.7/32"]')
plan "${good[@]}" && fail "plan cannot succeed without Azure"
grep -q "azurerm-schema-provider: ConfigureProvider" "$work/plan.out" || { cat "$work/plan.out"; fail "plan with good values stopped before the provider"; }
grep -q "Invalid value for variable" "$work/plan.out" && { cat "$work/plan.out"; fail "good values refused"; }
ok "plan: good values pass every variable validation (then stop at the provider, as they must)"
plan "${good[@]}" -var 'api_server_authorized_ip_ranges=[]' -var private_cluster_enabled=true && fail "plan cannot succeed without Azure"
grep -q "azurerm-schema-provider: ConfigureProvider" "$work/plan.out" || { cat "$work/plan.out"; fail "a private cluster without authorized ranges refused"; }
ok "plan: a private cluster needs no authorized ranges"
for bad in "prefix=Bad_Prefix" "storage_account_name=Not-Valid" "location=West Europe" "node_count=2" \
           "node_max_count=1" "storage_replication_type=XRS" "kubernetes_version=latest" "subscription_id=nope" \
           'api_server_authorized_ip_ranges=["0.0.0.0/0"]' 'api_server_authorized_ip_ranges=["my-laptop"]' \
           'api_server_authorized_ip_ranges=[]' 'storage_allowed_ip_ranges=["203.0.113.7/32"]' 'zones=["4"]' \
           'admin_group_object_ids=["admins"]' "vnet_address_space=10.42.0.0/24" "aks_sku_tier=Gold" \
           "maintenance_day=Someday" "maintenance_start_time=2am" "log_retention_days=7"; do
  plan "${good[@]}" -var "$bad" && fail "plan with $bad succeeded"
  grep -q "Invalid value for variable" "$work/plan.out" || { cat "$work/plan.out"; fail "$bad not refused by a variable validation"; }
  ok "variable validation refuses $bad"
done

python3 - terraform <<'PY' || fail "variables.tf: every variable needs a description and a type"
import re, sys, glob
text = open(sys.argv[1] + "/variables.tf").read()
blocks = re.split(r'(?m)^variable\s+"', text)[1:]
bad = [b.split('"')[0] for b in blocks if "description =" not in b or not re.search(r"\n\s*type\s*=", b)]
sys.exit(1 if bad or not blocks else 0)
PY
ok "every variable has a description and a type"
grep -nE '(client_secret|access_key|password|sas_token)\s*=\s*"[^"]+"' terraform/*.tf && fail "a secret literal in terraform/"
ok "no secret literal in terraform/"

# What review found: the node pool must rotate through a temporary pool (else changing the
# VM size or disk fails), and must leave the node count to the autoscaler when it is on.
check_pool() { # DIR
  python3 - "$1/main.tf" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"(?ms)^  default_node_pool \{\n(.*?)^  \}", text)
if not m:
    sys.exit("no default_node_pool block")
pool = m.group(1)
tmp = re.search(r'(?m)^\s*temporary_name_for_rotation\s*=\s*"([a-z][a-z0-9]{0,11})"', pool)
if not tmp:
    sys.exit("error: default_node_pool: no temporary_name_for_rotation (1-12 lowercase alphanumerics)")
name = re.search(r'(?m)^\s*name\s*=\s*"([^"]+)"', pool).group(1)
if tmp.group(1) == name:
    sys.exit("temporary_name_for_rotation equals the pool name")
count = re.search(r"(?m)^\s*node_count\s*=\s*(.+)$", pool)
lifecycle = re.search(r"(?s)lifecycle\s*\{.*?ignore_changes\s*=\s*\[[^]]*default_node_pool\[0\]\.node_count", text)
if not lifecycle and not (count and re.fullmatch(r"var\.node_max_count != null \? null : var\.node_count", count.group(1).strip())):
    sys.exit(f"error: node_count {count.group(1) if count else None!r}: with autoscaling the autoscaler's count would be reset by every apply")
PY
}
check_pool terraform || fail "terraform/main.tf default_node_pool"
ok "node pool: temporary_name_for_rotation, node count left to the autoscaler when it is on"
copy; edit '/temporary_name_for_rotation/d' main.tf
expect_fail "check refuses a pool without temporary_name_for_rotation" check_pool "$work/tf"
copy; edit 's/^    node_count           = .*/    node_count           = var.node_count/' main.tf
expect_fail "check refuses a node_count managed against the autoscaler" check_pool "$work/tf"
# The provider lock file: committed, pinning exactly one azurerm release within versions.tf's
# constraint for both registries (Terraform's and OpenTofu's). No registry is reachable here,
# so its hashes cannot be computed offline: it holds none until `make deploy-tf-lock` is run
# once with registry access (then init verifies every download against them). What can be
# checked offline: the pin, and that OpenTofu reads and enforces the file.
lock=terraform/.terraform.lock.hcl
git ls-files --error-unmatch "$lock" >/dev/null 2>&1 || fail "$lock is not committed"
pinned="$(python3 - "$lock" terraform/versions.tf <<'PY'
import re, sys
lock, versions = open(sys.argv[1]).read(), open(sys.argv[2]).read()
want = re.search(r'azurerm = \{[^}]*version\s*=\s*"([^"]+)"', versions, re.S).group(1)
blocks = dict(re.findall(r'provider "([^"]+)" \{(.*?)\n\}', lock, re.S))
hosts = {"registry.terraform.io/hashicorp/azurerm", "registry.opentofu.org/hashicorp/azurerm"}
if set(blocks) != hosts:
    sys.exit(f"lock file: want entries for {sorted(hosts)}, has {sorted(blocks)}")
versions_seen = set()
for host, body in blocks.items():
    v = re.search(r'version\s*=\s*"([0-9]+)\.([0-9]+)\.([0-9]+)"', body)
    c = re.search(r'constraints\s*=\s*"([^"]+)"', body)
    if not v or not c or c.group(1) != want:
        sys.exit(f"{host}: want an exact version and constraints {want!r} (versions.tf)")
    major, minor = map(int, want.replace("~>", "").strip().split(".")[:2])
    got = tuple(map(int, v.groups()))
    if not (got[0] == major and got[1] >= minor):
        sys.exit(f"{host}: {'.'.join(v.groups())} does not satisfy {want}")
    hashes = re.findall(r'"((?:h1|zh):[^"]+)"', body)
    if hashes and (sum(h.startswith("zh:") for h in hashes) < 4 or not any(h.startswith("h1:") for h in hashes)):
        sys.exit(f"{host}: hashes for some platforms only: run make deploy-tf-lock")
    versions_seen.add(".".join(v.groups()))
if len(versions_seen) != 1:
    sys.exit(f"both registries must pin one version: {versions_seen}")
print(versions_seen.pop())
PY
)" || fail "$lock"
ok "lock file pins azurerm $pinned for registry.terraform.io and registry.opentofu.org, within versions.tf's constraint"
# OpenTofu honours it: from a mirror offering the stand-in as $pinned and as a newer release
# within the constraint, init installs $pinned (and records its hash); with a hash that does
# not match, init refuses.
mirror="$work/mirror/registry.opentofu.org/hashicorp/azurerm"
newer="${pinned%%.*}.999.0"
for v in "$pinned" "$newer"; do
  mkdir -p "$mirror/$v/linux_amd64" && cp "$provider_dir/terraform-provider-azurerm" "$mirror/$v/linux_amd64/terraform-provider-azurerm_v$v"
done
printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$work/mirror" >"$work/mirror.tfrc"
lock_init() { (cd "$work/tf" && TF_CLI_CONFIG_FILE="$work/mirror.tfrc" tofu init -backend=false -input=false -no-color) >"$work/init.out" 2>&1; }
lock_init_shown() { local rc=0; lock_init || rc=$?; grep -A2 Error "$work/init.out" | tr '\n' ' '; return "$rc"; }
copy; sed -i '/^  backend "azurerm" {}$/d' "$work/tf/versions.tf"
sed '/"[hz][1h]:/d' "$lock" >"$work/tf/.terraform.lock.hcl"  # the stand-in's hash is not azurerm's
lock_init || { cat "$work/init.out"; fail "tofu init with the lock file"; }
grep -q "Installed hashicorp/azurerm v$pinned" "$work/init.out" || { cat "$work/init.out"; fail "init did not install the locked $pinned"; }
ok "tofu init installs the locked azurerm $pinned although $newer is offered"
copy; sed -i '/^  backend "azurerm" {}$/d' "$work/tf/versions.tf"
constraint="$(sed -n 's/^  constraints = "\(.*\)"$/\1/p' "$lock" | head -n 1)"
printf 'provider "registry.opentofu.org/hashicorp/azurerm" {\n  version     = "%s"\n  constraints = "%s"\n  hashes      = ["h1:%s"]\n}\n' \
  "$pinned" "$constraint" "$(head -c 32 /dev/zero | base64)" >"$work/tf/.terraform.lock.hcl"
expect_fail "tofu init refuses a provider whose hash is not in the lock file" lock_init_shown
done_checks
