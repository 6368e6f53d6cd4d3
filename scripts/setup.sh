#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine.
# Each area of the project owns one step in scripts/setup.d/ (run in name order);
# every step is idempotent and cheap when its work is already done.
# Set-up by need: SETUP_PROFILE picks the steps a target uses:
#   all   (default; `make setup`, `make test`) every step
#   demo  (`make demo`) the build, the local broker, the data path (generator, Azurite,
#         Kafka Connect): 10-apt-core 30-data; no fuzzer, deploy tools, Kubernetes, bench
#   run   (`make run`) the build and the local broker: 10-apt-core
# SETUP_STEPS="10-apt-core 30-data" names the steps directly (overrides the profile).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
profile="${SETUP_PROFILE:-all}"
if [ -n "${SETUP_STEPS:-}" ]; then
  read -r -a names <<<"$SETUP_STEPS"
else
  case "$profile" in
    all) names=() ;;
    demo) names=(10-apt-core 30-data) ;;
    run) names=(10-apt-core) ;;
    *) echo "setup.sh: unknown SETUP_PROFILE=$profile (all, demo, run)" >&2; exit 2 ;;
  esac
fi
steps=()
if [ ${#names[@]} -eq 0 ]; then
  steps=("$here"/setup.d/*.sh)
else
  for name in "${names[@]}"; do
    [ -f "$here/setup.d/${name%.sh}.sh" ] || { echo "setup.sh: no step scripts/setup.d/${name%.sh}.sh" >&2; exit 2; }
    steps+=("$here/setup.d/${name%.sh}.sh")
  done
fi
for step in "${steps[@]}"; do
  echo "==> setup: $(basename "$step")"
  start=$SECONDS
  bash "$step"
  echo "    ($(basename "$step"): $((SECONDS - start)) s)"
done
