#!/usr/bin/env bash
# Local Azure Blob Storage: the Azurite blob service (npm `azurite`, pinned) on 127.0.0.1:10000.
#
#   scripts/local-azurite.sh install             install Azurite with npm into the cache (done by start too)
#   scripts/local-azurite.sh start               install (npm, cached) if needed, start, wait until it answers
#   scripts/local-azurite.sh stop                stop it and delete its data
#   scripts/local-azurite.sh status              exit 0 when it answers
#   scripts/local-azurite.sh connection-string   print the connection string of its well-known dev account
#
# Environment: AZURITE_PORT (10000), AZURITE_DATA_DIR (a temporary folder), KSTREAM_CACHE
# (~/.cache/kstream-app, where npm installs Azurite). `start` is idempotent.
set -euo pipefail

cache="${KSTREAM_CACHE:-$HOME/.cache/kstream-app}"
port="${AZURITE_PORT:-10000}"
data_dir="${AZURITE_DATA_DIR:-${TMPDIR:-/tmp}/kstream-azurite-${port}}"
pid_file="$data_dir/azurite.pid"
# Azurite after 3.35.0 needs a newer Node than Debian 12's 18/20.
azurite_version="3.35.0"
install_dir="$cache/azurite-$azurite_version"
bin="$install_dir/node_modules/.bin/azurite-blob"
# Azurite's well-known development account (public, documented; not a secret).
account="devstoreaccount1"
account_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

log() { echo "local-azurite: $*" >&2; }
# shellcheck source=scripts/lib/service.sh
source "$(dirname "$0")/lib/service.sh"

connection_string() {
  echo "DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${account_key};BlobEndpoint=http://127.0.0.1:${port}/${account};"
}

install() {
  [ -x "$bin" ] && return 0
  command -v npm >/dev/null || { log "npm is missing (run: make setup)"; exit 1; }
  log "installing azurite@$azurite_version with npm into $install_dir"
  mkdir -p "$install_dir"
  npm install --prefix "$install_dir" --no-audit --no-fund --loglevel=error "azurite@$azurite_version" >&2 \
    || { log "npm could not install azurite@$azurite_version (is the npm registry reachable?)"; exit 1; }
}

running_pid() {
  service_pid "$pid_file"
}

answers() {
  # Any HTTP answer (an anonymous request gets 4xx) means the service is up.
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${port}/${account}?comp=list" || true)"
  [ -n "$code" ] && [ "$code" != "000" ]
}

start() {
  if pid="$(running_pid)"; then
    log "already running (pid $pid) on 127.0.0.1:$port"
  else
    if answers; then
      log "something else answers on 127.0.0.1:$port; not starting a second Azurite"
      exit 1
    fi
    install
    mkdir -p "$data_dir/blob"
    log "starting Azurite $azurite_version blob service on 127.0.0.1:$port (data in $data_dir)"
    # setsid: the service outlives the shell that started it (make, ctest)
    setsid "$bin" --blobHost 127.0.0.1 --blobPort "$port" --location "$data_dir/blob" \
      --disableTelemetry --skipApiVersionCheck --silent \
      >"$data_dir/azurite.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
  fi
  if service_wait_ready "$pid_file" 60 answers; then
    log "ready on 127.0.0.1:$port"
    return 0
  fi
  log "Azurite did not come up; last lines of $data_dir/azurite.log:"
  tail -n 20 "$data_dir/azurite.log" >&2 || true
  exit 1
}

stop() {
  service_stop "$pid_file" 10
  rm -rf "$data_dir"
}

status() {
  service_status "$pid_file" "127.0.0.1:$port" answers
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  connection-string) connection_string ;;
  *) echo "usage: $0 install|start|stop|status|connection-string" >&2; exit 2 ;;
esac
