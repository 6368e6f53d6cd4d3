#!/usr/bin/env bash
# The benchmark smoke test (ctest bench_smoke, make bench-smoke): a tiny run of every
# contender that can run here, checking only that each one's output agrees with the
# manifest. No timing is asserted. Usage: bench/smoke.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build_dir="${1:-$root/build}"
bash "$root/scripts/local-kafka.sh" start >/dev/null
export PYTHONPATH="$root/tests/lib${PYTHONPATH:+:$PYTHONPATH}" # the tests' shared modules (stay_rules)
exec /usr/bin/python3 "$here/bench.py" --smoke --build-dir "$build_dir" \
  --records "${BENCH_SMOKE_RECORDS:-3000}" --contenders "${BENCH_CONTENDERS:-all}"
