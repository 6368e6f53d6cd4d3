#!/usr/bin/env bash
# Gets an Expedia data set into Kafka the way the seed did on the cluster: generate it (cached),
# upload it with the Azure CLI into a blob container of the local Azurite, and load it with a
# Kafka Connect source connector, submitted through the worker's REST API.
#
#   scripts/load-expedia.sh [--records N] [--seed S] [--topic T] [--bootstrap B] [--container C]
#                           [--replace] [--timeout S] [--set KEY=VALUE]...
#
#   --records N    data set size (default 2189130, the real one; tests use e.g. 20000)
#   --seed S       generator seed (default 42)
#   --topic T      target topic (default expedia), created with 3 partitions if missing
#   --bootstrap B  Kafka (default 127.0.0.1:9092; the local broker is started when it is this one)
#   --container C  blob container (default data)
#   --replace      if T already holds another data set, delete and recreate T first
#   --timeout S    give up when the load makes no progress for S seconds (default 180)
#   --set K=V      override a key of connect/expedia-azure-blob-source.json (e.g. batch.size)
#
# Waits until T holds exactly N records (progress on stderr) and prints the data set's manifest
# path as the last line on stdout. Safe to run again: a topic that already holds this data set
# (same connector, same seed and size) is not loaded twice; one that holds another data set is
# refused unless --replace. Environment: KSTREAM_DATAGEN (the generator binary; default: the one in
# build/, built if missing), KSTREAM_CACHE, CONNECT_PORT, AZURITE_PORT.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
records=2189130
seed=42
topic=expedia
bootstrap=127.0.0.1:9092
container=data
replace=0
stall=180
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --topic) topic="$2"; shift 2 ;;
    --bootstrap) bootstrap="$2"; shift 2 ;;
    --container) container="$2"; shift 2 ;;
    --replace) replace=1; shift ;;
    --timeout) stall="$2"; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "load-expedia: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$records" =~ ^[1-9][0-9]*$ ]] || { echo "load-expedia: --records needs a positive number" >&2; exit 2; }
[[ "$seed" =~ ^[0-9]+$ ]] || { echo "load-expedia: --seed needs a number" >&2; exit 2; }

log() { echo "load-expedia: $*" >&2; }
step_start=$SECONDS
step() { log "== $1"; step_start=$SECONDS; }
step_done() { log "   done in $((SECONDS - step_start)) s"; }

export AZURE_CORE_COLLECT_TELEMETRY=no AZURE_CORE_ONLY_SHOW_ERRORS=yes AZURE_CORE_NO_COLOR=yes
dataset="seed-${seed}-records-${records}"  # + the generator's data version, below
connect_port="${CONNECT_PORT:-8083}"
connect_url="http://127.0.0.1:${connect_port}"
topic_records=(/usr/bin/python3 "$repo/connect/topic_records.py" --bootstrap "$bootstrap")

# --- 1. generate (cached by seed and size) ----------------------------------------------------
step "generate $dataset"
datagen="${KSTREAM_DATAGEN:-}"
if [ -z "$datagen" ]; then
  for candidate in "$repo/build/tools/kstream-datagen" "$repo/build-data/tools/kstream-datagen"; do
    [ -x "$candidate" ] && datagen="$candidate" && break
  done
fi
if [ -z "$datagen" ]; then
  log "building kstream-datagen in build/"
  cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  nice cmake --build "$repo/build" --target kstream-datagen -j2 >&2
  datagen="$repo/build/tools/kstream-datagen"
fi
data_dir="$("$datagen" --records "$records" --seed "$seed" | tail -n 1)"
manifest="$data_dir/manifest.json"
[ -f "$manifest" ] || { log "the generator did not leave $manifest"; exit 1; }
partitions="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["partitions"])' "$manifest")"
dataset="${dataset}-v$(cat "$data_dir/.datagen-version")"
connector="expedia-source-${topic}-${dataset}"
step_done

# --- 2. blob storage: Azurite, container, upload with the Azure CLI ---------------------------
step "upload to Azurite container '$container'"
command -v az >/dev/null || { log "the Azure CLI (az) is missing: run make setup"; exit 1; }
bash "$here/local-azurite.sh" start
AZURE_STORAGE_CONNECTION_STRING="$(bash "$here/local-azurite.sh" connection-string)"
export AZURE_STORAGE_CONNECTION_STRING
# `upload-batch` does not create the container
az storage container create --name "$container" -o none
uploaded="$(az storage blob list --container-name "$container" --prefix topics/expedia/ --include m \
  --query "[?metadata.dataset=='${dataset}'] | length(@)" -o tsv)"
if [ "$uploaded" = "$partitions" ]; then
  log "container '$container' already holds $dataset"
else
  az storage blob upload-batch --destination "$container" --source "$data_dir" --pattern 'topics/*' \
    --overwrite true --metadata "dataset=${dataset}" -o none --no-progress
  log "uploaded $dataset ($(du -sh "$data_dir/topics" | cut -f1)) into container '$container'"
fi
step_done

# --- 3. Kafka and the Connect worker -----------------------------------------------------------
step "start Kafka Connect"
if [ "$bootstrap" = "127.0.0.1:9092" ]; then
  bash "$here/local-kafka.sh" start
fi
CONNECT_BOOTSTRAP="$bootstrap" bash "$here/local-connect.sh" start
/usr/bin/python3 "$here/kafka-admin.py" --bootstrap "$bootstrap" create "${topic}:${partitions}" >&2
step_done

# --- 4. the connector ---------------------------------------------------------------------------
step "connector $connector"
code="$(curl -s -o /dev/null -w '%{http_code}' "$connect_url/connectors/$connector")"
deploy=(bash "$here/deploy-connector.sh" --connect "$connect_url" --name "$connector" "${sets[@]}")
export AZURE_CONTAINER="$container" TOPIC="$topic"
config="$repo/connect/expedia-azure-blob-source.json"
# other connectors loading into this topic (other data sets)
others="$(curl -s "$connect_url/connectors" | /usr/bin/python3 -c '
import json, sys
prefix, me = sys.argv[1], sys.argv[2]
print(" ".join(n for n in json.load(sys.stdin) if n.startswith(prefix) and n != me))' "expedia-source-${topic}-seed-" "$connector")"
held="$("${topic_records[@]}" count --topic "$topic" | awk '{print $NF}')"
if [ "$code" = "200" ] && [ "$held" != "0" ] && [ "$held" -le "$records" ] && [ -z "$others" ]; then
  # This data set's connector, and the topic holds (part of) it: resume from the source offsets.
  log "the connector of $dataset into $topic exists and $topic holds $held records: resuming from its offsets"
  curl -s -o /dev/null -X POST "$connect_url/connectors/$connector/restart?includeTasks=true&onlyFailed=true"
  "${deploy[@]}" "$config"
else
  if [ "$held" != "0" ] || [ -n "$others" ]; then
    if [ "$replace" -ne 1 ]; then
      log "topic $topic already holds $held records of another data set${others:+ (connectors: $others)};"
      log "use another --topic, or --replace to delete and recreate $topic"
      exit 1
    fi
    for other in $others; do
      log "deleting connector $other"
      curl -s -o /dev/null -X DELETE "$connect_url/connectors/$other"
    done
    log "deleting and recreating topic $topic"
    /usr/bin/python3 "$here/kafka-admin.py" --bootstrap "$bootstrap" delete "$topic" >&2
    for _ in $(seq 1 30); do
      /usr/bin/python3 "$here/kafka-admin.py" --bootstrap "$bootstrap" create "${topic}:${partitions}" >&2 2>/dev/null && break
      sleep 1
    done
  fi
  # An empty topic (new, or emptied since an earlier load): load it from the start, whatever
  # offsets a connector of this name may have kept.
  "${deploy[@]}" --fresh "$config"
fi
step_done

# --- 5. wait until the topic holds exactly the data set ----------------------------------------
step "load $records records into $topic"
"${topic_records[@]}" wait --topic "$topic" --expect "$records" --stall "$stall" \
  --connector "$connect_url/connectors/$connector/status" >&2
step_done
log "topic $topic holds $dataset: manifest $manifest"
echo "$manifest"
