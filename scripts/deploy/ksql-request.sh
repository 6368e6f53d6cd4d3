#!/usr/bin/env bash
# Prints the JSON body of one request to ksqlDB's REST endpoint /ksql holding every
# statement of the given .sql files, in order (ksqlDB runs ";"-separated statements of
# one request one after the other). Used by `make deploy-ksql`.
#   ksql-request.sh ksql/stay_counts.sql [more.sql ...]
set -euo pipefail
[ $# -gt 0 ] || { echo "ksql-request: no .sql file given (ksql/ is empty?)" >&2; exit 1; }
python3 - "$@" <<'PY'
import json
import sys

statements = "\n".join(open(path, encoding="utf-8").read() for path in sys.argv[1:])
json.dump({"ksql": statements,
           "streamsProperties": {"ksql.streams.auto.offset.reset": "earliest"}}, sys.stdout)
sys.stdout.write("\n")
PY
