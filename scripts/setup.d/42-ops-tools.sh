#!/usr/bin/env bash
# The ops area's tests (ctest label ops): Python's Kafka client and YAML for the DLQ and
# offsets tools and the test drivers (Debian); Prometheus' own server and promtool for the
# alert rules' unit tests (`promtool test rules`) and a real server scraping a live job, built
# from the Go module proxy at the version pinned in scripts/deploy/tool-versions.sh into
# $KSTREAM_TOOLS_BIN; rebuilt only when that version changes (a second run: well under 1 s).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/deploy/tool-versions.sh
source "$here/../deploy/tool-versions.sh"
# shellcheck source=scripts/lib/apt.sh
source "$here/../lib/apt.sh"

apt_install python3-confluent-kafka python3-yaml python3-pytest

command -v go >/dev/null 2>&1 || { echo "42-ops-tools: Go is needed to build prometheus and promtool" >&2; exit 1; }
mkdir -p "$KSTREAM_TOOLS_BIN"
want="github.com/prometheus/prometheus@$PROMETHEUS_MODULE_VERSION ($PROMETHEUS_VERSION) tags=$PROMETHEUS_BUILD_TAGS"
stamp="$KSTREAM_TOOLS_BIN/.prometheus.stamp"
if [ -x "$KSTREAM_TOOLS_BIN/prometheus" ] && [ -x "$KSTREAM_TOOLS_BIN/promtool" ] &&
   [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "42-ops-tools: building prometheus and promtool ($want)"
start=$SECONDS
# `go install pkg@version` ignores the module's go.work (which names folders its zip lacks).
GOBIN="$KSTREAM_TOOLS_BIN" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false" nice -n 10 \
  go install -trimpath -tags "$PROMETHEUS_BUILD_TAGS" \
  -ldflags="-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
  "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_MODULE_VERSION" \
  "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION"
printf '%s\n' "$want" >"$stamp"
echo "42-ops-tools: ready in $((SECONDS - start)) s: $("$KSTREAM_TOOLS_BIN/prometheus" --version | head -n 1)"
