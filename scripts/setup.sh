#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine.
# Each area of the project owns one step in scripts/setup.d/ (run in name order);
# every step is idempotent and cheap when its work is already done.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for step in "$here"/setup.d/*.sh; do
  echo "==> setup: $(basename "$step")"
  bash "$step"
done
