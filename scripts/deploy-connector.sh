#!/usr/bin/env bash
# Submits a connector config to a Kafka Connect worker's REST API and watches it start, as the
# seed's `make deploy-connector` did.
#
#   scripts/deploy-connector.sh [--connect URL] [--name NAME] [--set KEY=VALUE]... [--fresh] [--timeout S] CONFIG.json
#
# CONFIG.json is {"name": ..., "config": {...}} (connect/*.json); ${VAR} in its values is replaced by
# the environment variable VAR (all must be set). --set overrides a config key, --name the name.
# The config is PUT to /connectors/NAME/config (creates or updates); the worker validates it first
# (the blob connector checks the key and the container), and any error is printed. Then the status
# is polled until the connector and all its tasks are RUNNING (exit 0) or one FAILED (exit 1, with
# the failure's message).
# --fresh: start from no source offsets: an existing connector of that name is deleted, the new one
# is created STOPPED, its offsets (kept by the worker after a delete) are reset, then it is resumed.
set -euo pipefail

connect="${CONNECT_URL:-http://127.0.0.1:${CONNECT_PORT:-8083}}"
name=""
timeout=120
fresh=0
sets=()
config_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --connect) connect="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --set) sets+=("$2"); shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "deploy-connector: unknown option $1" >&2; exit 2 ;;
    *) config_file="$1"; shift ;;
  esac
done
[ -n "$config_file" ] || { echo "deploy-connector: a CONFIG.json is needed" >&2; exit 2; }
[ -f "$config_file" ] || { echo "deploy-connector: no such file $config_file" >&2; exit 2; }

log() { echo "deploy-connector: $*" >&2; }

# Render: substitute ${VAR}, apply --set and --name; prints "NAME<TAB>CONFIG-JSON".
rendered="$(/usr/bin/python3 - "$config_file" "$name" "${sets[@]}" <<'PY'
import json, os, re, sys
path, name, sets = sys.argv[1], sys.argv[2], sys.argv[3:]
doc = json.load(open(path))
missing = set()
def sub(value):
    def repl(m):
        var = m.group(1)
        if var not in os.environ:
            missing.add(var)
            return ""
        return os.environ[var]
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", repl, value)
config = {k: sub(v) if isinstance(v, str) else str(v) for k, v in doc["config"].items()}
for s in sets:
    k, sep, v = s.partition("=")
    if not sep:
        sys.exit(f"deploy-connector: --set needs KEY=VALUE, got {s!r}")
    config[k] = v
if missing:
    sys.exit(f"deploy-connector: {path} needs these environment variables: {', '.join(sorted(missing))}")
print((name or doc["name"]) + "\t" + json.dumps(config))
PY
)"
name="${rendered%%$'\t'*}"
body="${rendered#*$'\t'}"

curl -s --max-time 5 -o /dev/null "$connect/" || { log "no Kafka Connect worker answers at $connect (start it: bash scripts/local-connect.sh start)"; exit 1; }

response="$(mktemp)"
trap 'rm -f "$response"' EXIT

# request METHOD PATH [BODY]: sets $code, leaves the answer in $response
request() {
  if [ $# -ge 3 ]; then
    code="$(curl -s --max-time 120 -o "$response" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
      --data-binary @- "$connect$2" <<<"$3")"
  else
    code="$(curl -s --max-time 120 -o "$response" -w '%{http_code}' -X "$1" "$connect$2")"
  fi
}

refused() {
  log "$1 (HTTP $code):"
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("message", d))' "$response" >&2 \
    2>/dev/null || cat "$response" >&2
  exit 1
}

if [ "$fresh" -eq 1 ]; then
  request GET "/connectors/$name"
  if [ "$code" = "200" ]; then
    log "deleting the existing connector $name"
    request DELETE "/connectors/$name"
    for _ in $(seq 1 60); do
      request GET "/connectors/$name"
      [ "$code" = "404" ] && break
      sleep 0.5
    done
  fi
  log "creating connector $name (stopped) on $connect"
  request POST "/connectors" "{\"name\": $(/usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$name"), \"config\": $body, \"initial_state\": \"STOPPED\"}"
  [ "$code" = "201" ] || refused "the worker refused the config of $name"
  reset=0
  for _ in $(seq 1 60); do
    request DELETE "/connectors/$name/offsets"
    if [ "$code" = "200" ]; then reset=1; break; fi
    sleep 0.5
  done
  [ "$reset" -eq 1 ] || refused "could not reset the source offsets of $name"
  log "reset the source offsets of $name; resuming it"
  request PUT "/connectors/$name/resume"
  [ "$code" = "202" ] || refused "could not resume $name"
else
  log "submitting connector $name to $connect"
  request PUT "/connectors/$name/config" "$body"
  if [ "$code" != "200" ] && [ "$code" != "201" ]; then
    refused "the worker refused the config of $name"
  fi
fi

deadline=$((SECONDS + timeout))
last=""
while :; do
  status="$(curl -s --max-time 5 "$connect/connectors/$name/status" || true)"
  summary="$(/usr/bin/python3 -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
except ValueError:
    print("UNKNOWN"); sys.exit()
states = [d.get("connector", {}).get("state", "UNKNOWN")] + [t.get("state") for t in d.get("tasks", [])]
failed = [x for x in [d.get("connector", {})] + d.get("tasks", []) if x.get("state") == "FAILED"]
if failed:
    trace = (failed[0].get("trace") or "").splitlines()
    print("FAILED " + " | ".join(l.strip() for l in trace[:3]))
elif d.get("tasks") and all(s == "RUNNING" for s in states):
    print("RUNNING")
else:
    print("WAITING " + " ".join(states))
' "$status")"
  case "$summary" in
    RUNNING) log "$name is RUNNING"; exit 0 ;;
    FAILED*) log "$name failed: ${summary#FAILED }"; exit 1 ;;
  esac
  [ "$summary" != "$last" ] && log "$name: ${summary#WAITING }" && last="$summary"
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "$name did not reach RUNNING within ${timeout}s (last: $summary)"
    exit 1
  fi
  sleep 1
done
