#!/usr/bin/env bash
# The benchmark smoke test (ctest bench_smoke, make bench-smoke): a tiny run of every
# contender that can run here, checking only that each one's output agrees with the
# manifest, and a tiny latency-under-load run that checks every measured record came out. No timing
# is asserted. Usage: bench/smoke.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build_dir="${1:-$root/build}"
bash "$root/scripts/local-kafka.sh" start >/dev/null
export PYTHONPATH="$root/tests/lib${PYTHONPATH:+:$PYTHONPATH}" # the tests' shared modules (stay_rules)
/usr/bin/python3 "$here/bench.py" --smoke --build-dir "$build_dir" \
  --records "${BENCH_SMOKE_RECORDS:-3000}" --contenders "${BENCH_CONTENDERS:-all}"
# latency under load, tiny: the job at 10 % of its maximum for 2 s; exit 1 unless every measured
# record came out (read_committed) and the throughput run's output checks out
exec /usr/bin/python3 "$here/latency_load.py" --build-dir "$build_dir" --records "${BENCH_SMOKE_RECORDS:-3000}" \
  --contenders kstream-app-eos --intervals 1000 --loads 10 --seconds 2 --ramp-s 1 --no-latest \
  --out "$here/results/tmp/smoke"
