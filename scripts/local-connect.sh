#!/usr/bin/env bash
# A real Kafka Connect worker (Apache Kafka 3.9 connect-runtime, distributed mode, one node) on
# 127.0.0.1:8083, with exactly-once source support, the JSON converter without schemas, and the
# project's Azure Blob Avro source connector (connect/blob-avro-source) on its plugin path.
#
#   scripts/local-connect.sh install  resolve the jars and build the plugin (done by start too)
#   scripts/local-connect.sh start    resolve jars (Maven Central, cached), build the plugin, start, wait for REST
#   scripts/local-connect.sh stop     stop the worker (its state stays in Kafka: connectors resume on start)
#   scripts/local-connect.sh status   exit 0 when the REST API answers
#   scripts/local-connect.sh pid      print the worker's pid (tests kill -9 it)
#
# Environment: CONNECT_PORT (8083), CONNECT_BOOTSTRAP (127.0.0.1:9092), CONNECT_DATA_DIR (a temporary
# folder), KSTREAM_CACHE (~/.cache/kstream-app, where jars and the built plugin go),
# CONNECT_JAVA_OPTS (more JVM options, e.g. a JFR recording: bench/pipeline.py --profile) and
# CONNECT_WORKER_PROPS (more worker.properties lines, ';'-separated, appended so they win).
# The worker's config, offset and status topics are _kstream-connect-<port>-{configs,offsets,status}.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=scripts/lib/service.sh
source "$here/lib/service.sh"
cache="${KSTREAM_CACHE:-$HOME/.cache/kstream-app}"
port="${CONNECT_PORT:-8083}"
bootstrap="${CONNECT_BOOTSTRAP:-127.0.0.1:9092}"
data_dir="${CONNECT_DATA_DIR:-${TMPDIR:-/tmp}/kstream-connect-${port}}"
pid_file="$data_dir/connect.pid"
rest="http://127.0.0.1:${port}"
worker_pom="$repo/connect/worker/pom.xml"
plugin_src="$repo/connect/blob-avro-source"
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$worker_pom")"
libs="$cache/connect-$kafka_version/libs"
plugins="$cache/connect-plugins"
plugin_class="kstream.connect.blob.AvroBlobSourceConnector"

log() { echo "local-connect: $*" >&2; }

resolve_jars() {
  [ -f "$libs/.complete" ] && return 0
  log "resolving Kafka Connect $kafka_version jars from Maven Central into $libs"
  rm -rf "$libs"
  mkdir -p "$libs"
  mvn -q -B -Dstyle.color=never -f "$worker_pom" dependency:copy-dependencies -DoutputDirectory="$libs" \
    >"$cache/connect-mvn.log" 2>&1 \
    || { tail -n 30 "$cache/connect-mvn.log" >&2; log "mvn could not resolve the Connect jars (is Maven Central reachable?)"; exit 1; }
  touch "$libs/.complete"
}

# The plugin is rebuilt when its sources change (a hash of them names the build).
plugin_hash() {
  (cd "$plugin_src" && find pom.xml src -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

build_plugin() {
  local hash="${1:-$(plugin_hash)}" dest build
  dest="$plugins/kstream-blob-avro-source"
  [ -f "$dest/.built-$hash" ] && return 0
  log "building the blob Avro source connector (mvn package) into $dest"
  build="$cache/connect-build/blob-avro-source"
  rm -rf "$build" "$dest"
  mkdir -p "$dest"
  mvn -q -B -Dstyle.color=never -f "$plugin_src/pom.xml" -Dkstream.build.dir="$build" package \
    >"$cache/connect-mvn.log" 2>&1 \
    || { tail -n 30 "$cache/connect-mvn.log" >&2; log "mvn could not build connect/blob-avro-source"; exit 1; }
  mvn -q -B -Dstyle.color=never -f "$plugin_src/pom.xml" -Dkstream.build.dir="$build" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dest" >"$cache/connect-mvn.log" 2>&1 \
    || { tail -n 30 "$cache/connect-mvn.log" >&2; log "mvn could not resolve the connector's dependencies"; exit 1; }
  cp "$build"/kstream-blob-avro-source-*.jar "$dest/"
  touch "$dest/.built-$hash"
}

running_pid() {
  service_pid "$pid_file"
}

rest_ready() {
  curl -sf --max-time 3 "$rest/connector-plugins" 2>/dev/null | grep -q "$plugin_class"
}

write_config() {
  cat >"$data_dir/worker.properties" <<PROPS
bootstrap.servers=${bootstrap}
group.id=kstream-connect-${port}
config.storage.topic=_kstream-connect-${port}-configs
offset.storage.topic=_kstream-connect-${port}-offsets
status.storage.topic=_kstream-connect-${port}-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.storage.partitions=3
status.storage.partitions=1
listeners=http://127.0.0.1:${port}
rest.advertised.host.name=127.0.0.1
rest.advertised.port=${port}
plugin.path=${plugins}
plugin.discovery=hybrid_warn
# What Confluent's Azure Blob source connector writes with the schemaless JSON converter
key.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
# KIP-618: source records and their source offsets are committed in one transaction, so a worker
# killed during a load resumes without duplicates
exactly.once.source.support=enabled
offset.flush.interval.ms=2000
scheduled.rebalance.max.delay.ms=0
producer.linger.ms=20
producer.batch.size=262144
producer.compression.type=lz4
PROPS
  if [ -n "${CONNECT_WORKER_PROPS:-}" ]; then
    tr ';' '\n' <<<"$CONNECT_WORKER_PROPS" >>"$data_dir/worker.properties"
  fi
}

# A worker keeps its configuration in topics of the broker: if the broker was reset since the
# worker started (its data folder removed), the worker only retries forever. Such a worker is
# stopped and started afresh.
broker_has_worker_topics() {
  /usr/bin/python3 "$here/kafka-admin.py" --bootstrap "$bootstrap" list 2>/dev/null \
    | grep -q "^_kstream-connect-${port}-configs[[:space:]]"
}

start() {
  local hash stale=""
  hash="$(plugin_hash)"
  if pid="$(running_pid)"; then
    if ! broker_has_worker_topics; then
      stale="lost its topics on $bootstrap (was the broker reset?)"
    elif [ "$(cat "$data_dir/plugin-hash" 2>/dev/null)" != "$hash" ]; then
      # A worker loads its plugins once: one started from older connector sources (another
      # checkout, a pull since) would go on running the old connector.
      stale="runs an older build of the connector"
    fi
    if [ -n "$stale" ]; then
      log "the worker (pid $pid) $stale: restarting it"
      service_stop "$pid_file" 20
    fi
  fi
  if pid="$(running_pid)"; then
    log "already running (pid $pid) on $rest"
  else
    resolve_jars
    build_plugin "$hash"
    if ! /usr/bin/python3 "$here/kafka-admin.py" --bootstrap "$bootstrap" wait --timeout 30 >/dev/null; then
      log "no Kafka broker answers on $bootstrap (start it: bash scripts/local-kafka.sh start)"
      exit 1
    fi
    mkdir -p "$data_dir"
    write_config
    log "starting Kafka Connect $kafka_version on $rest (broker $bootstrap, logs in $data_dir/connect.log)"
    # setsid: the worker outlives the shell that started it (make, ctest)
    # shellcheck disable=SC2086
    setsid java -Xms256m -Xmx1g -XX:+UseG1GC ${CONNECT_JAVA_OPTS:-} \
      -Dconnect.log.dir="$data_dir" -Dlog4j.configuration="file:$repo/connect/worker/log4j.properties" \
      -cp "$libs/*" org.apache.kafka.connect.cli.ConnectDistributed "$data_dir/worker.properties" \
      >"$data_dir/stdout.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
    echo "$hash" >"$data_dir/plugin-hash"
  fi
  if service_wait_ready "$pid_file" 120 rest_ready; then
    log "ready on $rest"
    return 0
  fi
  log "the worker did not come up; last lines of $data_dir/connect.log:"
  tail -n 30 "$data_dir/connect.log" >&2 2>/dev/null || tail -n 30 "$data_dir/stdout.log" >&2 || true
  exit 1
}

stop() {
  service_stop "$pid_file" 20
}

status() {
  service_status "$pid_file" "$rest" rest_ready
}

case "${1:-}" in
  install) resolve_jars; build_plugin ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  pid) running_pid ;;
  *) echo "usage: $0 install|start|stop|status|pid" >&2; exit 2 ;;
esac
