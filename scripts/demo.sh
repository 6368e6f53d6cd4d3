#!/usr/bin/env bash
# The whole job end to end on this machine (run by `make demo`, after set-up and build):
#   1. the local Kafka broker
#   2. a generated Expedia data set -> Azurite (az storage blob upload-batch) -> Kafka Connect -> `expedia`
#   3. kstream-app in drain mode: `expedia` -> `expedia_ext` (+ `expedia_dlq`), exactly once
#   4. kstream-stats: per stay category, the records and the distinct hotels, checked against
#      the generator's manifest
# Size: DATA_RECORDS (default 200000 via mk/data.mk); `make demo FULL=1` loads all 2,189,130.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
build="${BUILD_DIR:-$repo/build}"
[ "${build:0:1}" = / ] || build="$repo/$build"
records="${DATA_RECORDS:-200000}"
seed="${DATA_SEED:-42}"
bootstrap=127.0.0.1:9092
admin=(/usr/bin/python3 "$here/kafka-admin.py" --bootstrap "$bootstrap")

step_started=0
step() {
  step_started=$(date +%s)
  printf '\n==> %s\n' "$*"
}
step_done() {
  printf '    (%ss)\n' $(($(date +%s) - step_started))
}

step "local Kafka on $bootstrap"
bash "$here/local-kafka.sh" start
step_done

step "data in: $records generated records -> Azurite -> Kafka Connect -> topic expedia"
manifest="$(KSTREAM_DATAGEN="$build/tools/kstream-datagen" bash "$here/load-expedia.sh" \
  --records "$records" --seed "$seed" --topic expedia --replace | tail -n 1)"
echo "    manifest: $manifest"
step_done

step "the stream job: expedia -> expedia_ext, exactly once, until the input is drained"
# A fresh output and a fresh group, so that the table below is exactly this run's answer.
"${admin[@]}" delete expedia_ext expedia_dlq >/dev/null
"${admin[@]}" create expedia_ext:3 expedia_dlq:3 >/dev/null
"$build/app/kstream-app" --config-file="$repo/app/caf-application.ini" --job.drain --http.port=0 \
  --kafka.group-id="kstream-app-demo-$(date +%s)" --log.progress-interval-ms=2000
step_done

step "the answer: records and distinct hotels per stay category (read_committed from expedia_ext)"
"$build/app/kstream-stats" --config-file="$repo/app/kstream-stats.ini" --job.drain --http.port=0 \
  --kafka.group-id="kstream-stats-demo-$(date +%s)" --expect-manifest="$manifest"
step_done
