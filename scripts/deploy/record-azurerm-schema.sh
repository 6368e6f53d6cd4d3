#!/usr/bin/env bash
# Records the schema of the real azurerm provider for the offline `tofu validate` of
# terraform/ (tests/deploy/terraform.sh): builds the provider from the Go module proxy
# (AZURERM_SCHEMA_MODULE; or takes the binary from AZURERM_PROVIDER_DIR), asks it for its
# schema through OpenTofu, and keeps the part terraform/ uses, without descriptions, in
# tests/deploy/terraform/azurerm-schema.json. Run by `make deploy-tf-schema` whenever
# terraform/ starts using another azurerm resource type or the provider is bumped.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=scripts/deploy/tool-versions.sh
source "$repo/scripts/deploy/tool-versions.sh"
export PATH="$KSTREAM_TOOLS_BIN:$PATH"
command -v tofu >/dev/null || { echo "tofu missing: make setup" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

provider_dir="${AZURERM_PROVIDER_DIR:-}"
if [ -z "$provider_dir" ]; then
  src="$(go mod download -json "$AZURERM_SCHEMA_MODULE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$src" ] || { echo "cannot download $AZURERM_SCHEMA_MODULE" >&2; exit 1; }
  provider_dir="$work/provider"
  echo "building $AZURERM_SCHEMA_MODULE (this takes a while)"
  (cd "$src" && nice -n 10 go build -trimpath -o "$provider_dir/terraform-provider-azurerm" .)
fi

cat >"$work/main.tf" <<'TF'
terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm" }
  }
}
TF
cat >"$work/cli.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "hashicorp/azurerm" = "$provider_dir"
  }
  direct {}
}
TFRC
(cd "$work" && TF_CLI_CONFIG_FILE="$work/cli.tfrc" tofu providers schema -json >"$work/full.json")
python3 "$repo/tests/deploy/trim-tf-schema.py" "$work/full.json" "$repo/terraform" \
  "${AZURERM_PROVIDER_DIR:+binary from $AZURERM_PROVIDER_DIR, }$AZURERM_SCHEMA_MODULE" \
  >"$repo/tests/deploy/terraform/azurerm-schema.json"
echo "wrote tests/deploy/terraform/azurerm-schema.json"
