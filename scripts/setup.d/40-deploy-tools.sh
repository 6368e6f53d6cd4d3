#!/usr/bin/env bash
# Tools for the deployment area (offline validation of Dockerfile, Helm chart, CFK
# manifests, Terraform and scripts): shellcheck from Debian; helm, kubeconform and
# OpenTofu built from the Go module proxy at pinned versions; the repository's own small
# Go tools (tests/deploy/tools). Binaries go to $KSTREAM_TOOLS_BIN (default
# ~/.cache/kstream-app/deploy-tools/bin), outside the repository. Each tool is rebuilt
# only when its pinned version (or, for our own tools, its source) changes, so a run on
# a ready machine costs well under a second.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/lib/apt.sh
source "$here/../lib/apt.sh"
# shellcheck source=scripts/deploy/tool-versions.sh
source "$repo/scripts/deploy/tool-versions.sh"

apt_install shellcheck python3-venv

if ! command -v go >/dev/null 2>&1; then
  echo "40-deploy-tools: Go is needed to build helm, kubeconform and tofu" >&2
  exit 1
fi

mkdir -p "$KSTREAM_TOOLS_BIN"
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
export CGO_ENABLED=0
# Two cores are shared with the C++ build: build one package at a time per go command
# would be too slow, two in parallel and at low priority is the compromise.
go_build() { nice -n 10 go "$@"; }

# stamp NAME VALUE: true when NAME was built for VALUE already (and the binary is there).
stamp_ok() { [ -x "$KSTREAM_TOOLS_BIN/$1" ] && [ "$(cat "$KSTREAM_TOOLS_BIN/.$1.stamp" 2>/dev/null)" = "$2" ]; }
stamp_set() { printf '%s\n' "$2" >"$KSTREAM_TOOLS_BIN/.$1.stamp"; }

# install_go_tool BIN MODULE VERSION PACKAGE [in-module [LDFLAGS]]: `go install`; or, for a
# module with replace directives (which `go install pkg@version` refuses), `go build`
# inside the downloaded module, which honours them.
install_go_tool() {
  local bin="$1" module="$2" version="$3" package="$4"
  stamp_ok "$bin" "$module@$version" && return 0
  echo "40-deploy-tools: building $bin ($module@$version)"
  local start=$SECONDS
  if [ "${5:-}" = "in-module" ]; then
    local dir
    dir="$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -n "$dir" ] || { echo "40-deploy-tools: could not download $module@$version" >&2; return 1; }
    (cd "$dir" && go_build build -trimpath -ldflags="-s -w ${6:-}" -o "$KSTREAM_TOOLS_BIN/$bin" "$package")
  else
    GOBIN="$KSTREAM_TOOLS_BIN" go_build install -trimpath -ldflags="-s -w" "$package@$version"
  fi
  stamp_set "$bin" "$module@$version"
  echo "40-deploy-tools: $bin ready in $((SECONDS - start)) s"
}

install_go_tool kubeconform github.com/yannh/kubeconform "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform
install_go_tool helm helm.sh/helm/v4 "$HELM_VERSION" helm.sh/helm/v4/cmd/helm
# OpenTofu's go.mod has a replace directive (its hcl fork), which `go install pkg@v`
# refuses: build it inside the downloaded module instead.
# (version.dev=no: report the release's version, not "-dev", as its release build does.)
install_go_tool tofu github.com/opentofu/opentofu "$TOFU_VERSION" ./cmd/tofu in-module \
  "-X github.com/opentofu/opentofu/version.dev=no"

# Our own tools (the schema-replaying azurerm provider used by `tofu validate`, ...):
# rebuilt when their source changes.
tools_src="$repo/tests/deploy/tools"
if [ -d "$tools_src" ]; then
  src_hash="$(cd "$tools_src" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  for cmd in "$tools_src"/cmd/*/; do
    name="$(basename "$cmd")"
    stamp_ok "$name" "$src_hash" && continue
    echo "40-deploy-tools: building $name"
    (cd "$tools_src" && go_build build -trimpath -ldflags="-s -w" -o "$KSTREAM_TOOLS_BIN/$name" "./cmd/$name")
    stamp_set "$name" "$src_hash"
  done
  # OpenTofu finds a development override of hashicorp/azurerm as
  # <dir>/terraform-provider-azurerm: give the stand-in a directory of its own.
  mkdir -p "$KSTREAM_TOOLS_BIN/tf-dev-overrides"
  ln -sf ../azurerm-schema-provider "$KSTREAM_TOOLS_BIN/tf-dev-overrides/terraform-provider-azurerm"
fi

# checkov (the offline policy check of terraform/ and the chart, tests/deploy/checkov.sh) in
# a venv of its own, from PyPI at the versions of scripts/deploy/checkov-requirements.txt
# (checkov and every dependency pinned); rebuilt when that file changes.
checkov_req="$repo/scripts/deploy/checkov-requirements.txt"
checkov_venv="$(dirname "$KSTREAM_TOOLS_BIN")/venv-checkov"
checkov_hash="$(sha256sum "$checkov_req" | cut -c1-16)"
if ! stamp_ok checkov "$checkov_hash"; then
  echo "40-deploy-tools: installing checkov ($(grep '^checkov==' "$checkov_req"))"
  start=$SECONDS
  rm -rf "$checkov_venv"
  /usr/bin/python3 -m venv "$checkov_venv"
  "$checkov_venv/bin/pip" install -q --disable-pip-version-check --no-deps --only-binary=:all: -r "$checkov_req" \
    || "$checkov_venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$checkov_req"
  "$checkov_venv/bin/pip" check >/dev/null
  ln -sf "$checkov_venv/bin/checkov" "$KSTREAM_TOOLS_BIN/checkov"
  stamp_set checkov "$checkov_hash"
  echo "40-deploy-tools: checkov ready in $((SECONDS - start)) s"
fi
