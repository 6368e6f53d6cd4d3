#!/usr/bin/python3
"""ksql/: the statements' shape and scripts/ksql-submit.sh against a stand-in for ksqlDB's REST API.

No ksqlDB server runs on these machines; what it would compute is checked by stats_e2e.py
(a model of the two-level aggregation over expedia_ext against kstream-stats). Here: every
statement is re-runnable (IF NOT EXISTS), the exact formulation is used (no COUNT_DISTINCT),
committed-only reading is requested, ksql/*.sql holds no SELECT (those files go to /ksql),
and the script posts the file unchanged, twice alike, and fails on a refusal.
"""
import http.server
import json
import os
import re
import subprocess
import sys
import threading

repo = sys.argv[1]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def code_of(text):
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


sql_path = os.path.join(repo, "ksql", "stay_counts.sql")
sql = open(sql_path).read()
code = code_of(sql)
statements = [s.strip() for s in code.split(";") if s.strip()]
creates = [s for s in statements if s.upper().startswith("CREATE")]
check(len(creates) == 3, f"expected 3 CREATE statements, found {len(creates)}")
for s in creates:
    check(re.match(r"CREATE\s+(STREAM|TABLE)\s+IF\s+NOT\s+EXISTS\s", s, re.I) is not None,
          f"not re-runnable (IF NOT EXISTS missing): {s[:60]}")
check("COUNT_DISTINCT" not in code.upper(), "COUNT_DISTINCT is an estimate; the exact two-level form is required")
check(re.search(r"SET\s+'processing.guarantee'\s*=\s*'exactly_once_v2'", code) is not None,
      "processing.guarantee exactly_once_v2 (read_committed, exact state) is not set")
check(re.search(r"SET\s+'auto.offset.reset'\s*=\s*'earliest'", code) is not None, "auto.offset.reset is not earliest")
check("KAFKA_TOPIC='expedia_ext'" in code and "VALUE_FORMAT='JSON'" in code, "the stream must read expedia_ext as JSON")
check(re.search(r"GROUP BY stay_category, COALESCE\(CAST\(hotel_id AS VARCHAR\), ''\)", code) is not None,
      "level 1 must keep null hotel_ids as a record (COALESCE to '')")
for path in sorted(os.listdir(os.path.join(repo, "ksql"))):
    if path.endswith(".sql"):
        text = code_of(open(os.path.join(repo, "ksql", path)).read())
        check(not re.search(r"(^|;)\s*SELECT\b", text, re.I), f"ksql/{path} holds a SELECT: /ksql refuses it")
watch = code_of(open(os.path.join(repo, "ksql", "queries", "watch.sql")).read()).strip()
check(re.fullmatch(r"SELECT .* FROM stay_counts EMIT CHANGES;", watch, re.S) is not None, f"watch query: {watch!r}")

# --- the submit script against a stand-in server ------------------------------------------------
received = []
answer = {"status": 200}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        received.append((self.path, self.headers.get("Content-Type"), json.loads(body)))
        if answer["status"] == 200:
            payload = [{"@type": "currentStatus", "statementText": "CREATE STREAM ...",
                        "commandStatus": {"status": "SUCCESS", "message": "done"}}]
        else:
            payload = {"@type": "statement_error", "error_code": 40001, "message": "line 1: mismatched input"}
        data = json.dumps(payload).encode()
        self.send_response(answer["status"])
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_port}"
script = os.path.join(repo, "scripts", "ksql-submit.sh")
for attempt in (1, 2):
    result = subprocess.run(["bash", script, "--url", url], capture_output=True, text=True, timeout=60)
    check(result.returncode == 0, f"run {attempt} failed: {result.stderr}")
check(len(received) == 2, f"expected 2 requests, got {len(received)}")
if len(received) == 2:
    check(received[0][2] == received[1][2], "the two runs sent different requests")
    path, content_type, body = received[0]
    check(path == "/ksql", f"posted to {path}")
    check(content_type.startswith("application/vnd.ksql.v1+json"), f"content type {content_type}")
    check(body.get("ksql") == sql, "the request does not carry ksql/stay_counts.sql unchanged")
    check(body.get("streamsProperties", {}).get("ksql.streams.auto.offset.reset") == "earliest",
          "auto.offset.reset property missing")
answer["status"] = 400
result = subprocess.run(["bash", script, "--url", url], capture_output=True, text=True, timeout=60)
check(result.returncode != 0 and "mismatched input" in result.stderr,
      f"a refusal must fail with ksqlDB's message (rc {result.returncode}, {result.stderr!r})")
server.shutdown()

if failures:
    print("ksql_test: FAIL\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ksql_test: PASS")
