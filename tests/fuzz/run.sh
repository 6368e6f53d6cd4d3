#!/usr/bin/env bash
# Runs the JSON enrichment fuzzer for SECONDS: every input of the seed corpus (corpus/) and of
# the crash corpus (crashes/: inputs that once failed, kept as regressions) first, then new
# inputs. New corpus entries go to the build folder, never into the repository. A failure
# leaves the input in <build-fuzz>/artifacts/; once fixed, add it to tests/fuzz/crashes/.
#   run.sh FUZZER SECONDS
set -euo pipefail
fuzzer="$1"
seconds="$2"
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$fuzzer" ]; then
  echo "run.sh: $fuzzer is not built (make build-fuzz)" >&2
  exit 1
fi
work="$(dirname "$fuzzer")"
mkdir -p "$work/corpus" "$work/artifacts"
log="$work/fuzz-last.log"
# -max_len: room for values deeper than the depth limit (1000) and long strings;
# -timeout: one input taking longer than 10 s is a hang, reported like a crash.
set +e
"$fuzzer" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -dict="$here/json.dict" -artifact_prefix="$work/artifacts/" \
  "$work/corpus" "$here/corpus" "$here/crashes" 2>&1 | tee "$log" | grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::|==|SUMMARY|json_enrichment_fuzz:)' 
code=${PIPESTATUS[0]}
set -e
runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
echo "fuzz: ${runs:-?} executions in ${seconds}s, exit ${code} (full log: $log)"
if [ "$code" -ne 0 ]; then
  tail -n 40 "$log" >&2
  echo "fuzz: FAILED; the input is in $work/artifacts/ (add it to $here/crashes/ once fixed)" >&2
fi
exit "$code"
