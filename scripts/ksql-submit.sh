#!/usr/bin/env bash
# Submits ksql/stay_counts.sql to ksqlDB's REST API (POST /ksql), then optionally watches the
# answer table (POST /query-stream with ksql/queries/watch.sql).
#
#   scripts/ksql-submit.sh [--url URL] [--file F.sql] [--watch] [--dry-run]
#
#   --url URL    ksqlDB server (default $KSQLDB_URL or http://localhost:8088), e.g. after
#                `kubectl -n confluent port-forward svc/ksqldb 8088:8088`
#   --file F     statements to submit (default ksql/stay_counts.sql)
#   --watch      after submitting, stream `SELECT ... FROM stay_counts EMIT CHANGES` (Ctrl-C ends)
#   --dry-run    print the request body instead of sending it
#
# Safe to run twice: every CREATE is IF NOT EXISTS, so a second run changes nothing.
# Exits non-zero with ksqlDB's message when a statement is refused.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
url="${KSQLDB_URL:-http://localhost:8088}"
file="$repo/ksql/stay_counts.sql"
watch=0
dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="$2"; shift 2 ;;
    --file) file="$2"; shift 2 ;;
    --watch) watch=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "ksql-submit: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -r "$file" ] || { echo "ksql-submit: cannot read $file" >&2; exit 2; }

# The body: the whole file as one request (ksqlDB runs ";"-separated statements in order;
# its SET lines apply to this request). auto.offset.reset is also passed as a property.
body="$(/usr/bin/python3 - "$file" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
print(json.dumps({"ksql": text, "streamsProperties": {"ksql.streams.auto.offset.reset": "earliest"}}))
PY
)"
if [ "$dry_run" -eq 1 ]; then
  echo "$body"
  exit 0
fi

response="$(mktemp)"
trap 'rm -f "$response"' EXIT
status="$(curl -sS -o "$response" -w '%{http_code}' -X POST "$url/ksql" \
  -H 'Content-Type: application/vnd.ksql.v1+json; charset=utf-8' \
  -H 'Accept: application/vnd.ksql.v1+json' --data-binary "$body")" \
  || { echo "ksql-submit: no answer from $url (is ksqlDB reachable?)" >&2; exit 1; }
if [ "$status" != "200" ]; then
  echo "ksql-submit: ksqlDB refused the statements (HTTP $status):" >&2
  cat "$response" >&2
  echo >&2
  exit 1
fi
/usr/bin/python3 - "$response" <<'PY'
import json, sys
for item in json.load(open(sys.argv[1])):
    text = item.get("statementText", "").strip().splitlines()
    status = item.get("commandStatus", {})
    print(f"ksql-submit: {item.get('@type', '?')}: {status.get('status', '')} {status.get('message', '')}".rstrip()
          + (f"  [{text[0][:70]}]" if text else ""))
PY
echo "ksql-submit: submitted $(basename "$file") to $url"

if [ "$watch" -eq 1 ]; then
  query="$(/usr/bin/python3 -c 'import json,re,sys; t=open(sys.argv[1]).read(); t="\n".join(l for l in t.splitlines() if not l.lstrip().startswith("--")); print(json.dumps({"sql": t.strip(), "properties": {"auto.offset.reset": "earliest"}}))' "$repo/ksql/queries/watch.sql")"
  echo "ksql-submit: watching stay_counts (Ctrl-C ends)"
  curl -sS -N -X POST "$url/query-stream" -H 'Content-Type: application/vnd.ksql.v1+json' \
    -H 'Accept: application/vnd.ksqlapi.delimited.v1' --data-binary "$query"
fi
