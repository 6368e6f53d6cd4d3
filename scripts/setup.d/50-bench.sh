#!/usr/bin/env bash
# Benchmarks (issue 5): chart tool, Google Benchmark, GNU time, the faust-streaming venv
# and the Kafka Streams contender's jars. Idempotent: cheap when everything is in place.
# Set KSTREAM_SKIP_BENCH_SETUP=1 to skip this step entirely.
set -euo pipefail
[ "${KSTREAM_SKIP_BENCH_SETUP:-0}" = 1 ] && { echo "bench setup skipped"; exit 0; }
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${KSTREAM_CACHE:-$HOME/.cache/kstream-app}"
# shellcheck source=scripts/lib/apt.sh
source "$here/../lib/apt.sh"

# linux-perf: profiling where bench-scale finds per-record cost not flat (issue 23)
apt_install gnuplot-nox libbenchmark-dev time kcat python3-confluent-kafka maven openjdk-17-jdk-headless linux-perf

# faust-streaming in its own venv, from a Python 3.11 interpreter (pyenv's if present).
venv="$cache/venv-faust"
req="$root/bench/faust/requirements.txt"
stamp="$venv/.requirements-$(sha256sum "$req" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  py=""
  for cand in "${FAUST_PYTHON:-}" "$HOME/.pyenv/versions/3.11.7/bin/python3" python3.11 python3; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      py="$cand"; break
    fi
  done
  [ -n "$py" ] || { echo "50-bench: no Python 3.11 found for the faust venv (set FAUST_PYTHON)" >&2; exit 1; }
  echo "creating $venv with $py"
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  touch "$stamp"
fi

# The Kafka Streams contender: jar and its dependencies in bench/kafka-streams/target/.
ks="$root/bench/kafka-streams"
if [ ! -f "$ks/target/.built" ] || [ -n "$(find "$ks/pom.xml" "$ks/src" -newer "$ks/target/.built" -print -quit)" ]; then
  echo "building the Kafka Streams contender"
  mvn -q -B -f "$ks/pom.xml" package -DskipTests
  touch "$ks/target/.built"
fi
