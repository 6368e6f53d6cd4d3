#!/usr/bin/env bash
# The stats view's page test: a real headless Chromium (Debian's `chromium`) renders the
# page kstream-stats serves; a font so that its numbers appear in the screenshot.
set -euo pipefail
# shellcheck source=scripts/lib/apt.sh
source "$(dirname "$0")/../lib/apt.sh"
apt_install chromium fonts-dejavu-core python3-confluent-kafka curl
