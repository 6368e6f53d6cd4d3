#!/usr/bin/env bash
# A real single-node Apache Kafka 3.9 (KRaft, combined broker + controller) on 127.0.0.1:9092.
#
#   scripts/local-kafka.sh start    resolve jars (Maven Central, cached), format, start, wait, create topics
#   scripts/local-kafka.sh stop     stop the broker and delete its data
#   scripts/local-kafka.sh status   exit 0 when the broker answers
#   scripts/local-kafka.sh jars     resolve the jars only and print their folder (for brokers
#                                   that tests configure themselves, e.g. tests/security)
#
# Environment: KAFKA_PORT (9092), KAFKA_DATA_DIR (a temporary folder), KSTREAM_CACHE
# (~/.cache/kstream-app, where the jars go). `start` is idempotent.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${KSTREAM_CACHE:-$HOME/.cache/kstream-app}"
port="${KAFKA_PORT:-9092}"
controller_port=$((port + 1))
bootstrap="127.0.0.1:${port}"
data_dir="${KAFKA_DATA_DIR:-${TMPDIR:-/tmp}/kstream-kafka-${port}}"
pid_file="$data_dir/kafka.pid"
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml")"
libs="$cache/kafka-$kafka_version/libs"
admin=(/usr/bin/python3 "$here/kafka-admin.py" --bootstrap "$bootstrap")
# shellcheck source=scripts/lib/service.sh
source "$here/lib/service.sh"

log() { echo "local-kafka: $*" >&2; }

resolve_jars() {
  [ -f "$libs/.complete" ] && return 0
  log "resolving Kafka $kafka_version jars from Maven Central into $libs"
  rm -rf "$libs"
  mkdir -p "$libs"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" \
    || { log "mvn could not resolve the Kafka jars (is Maven Central reachable?)"; exit 1; }
  touch "$libs/.complete"
}

running_pid() {
  service_pid "$pid_file"
}

write_config() {
  cat >"$data_dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller_port}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${data_dir}/log
offsets.topic.num.partitions=6
transaction.state.log.num.partitions=6
PROPS
  cat "$here/kafka/single-node.properties" >>"$data_dir/server.properties"
}

start() {
  if pid="$(running_pid)"; then
    log "already running (pid $pid) on $bootstrap"
  else
    resolve_jars
    mkdir -p "$data_dir"
    write_config
    if [ ! -f "$data_dir/log/meta.properties" ]; then
      java -cp "$libs/*" kafka.tools.StorageTool format -t "kstream-local-cluster-0001" \
        -c "$data_dir/server.properties" >"$data_dir/format.log" 2>&1 \
        || { log "formatting the storage failed, see $data_dir/format.log"; exit 1; }
    fi
    log "starting Kafka $kafka_version on $bootstrap (data in $data_dir)"
    # setsid: the broker outlives the shell that started it (make, ctest)
    setsid java -Xms256m -Xmx1g -XX:+UseG1GC \
      -Dkafka.logs.dir="$data_dir" -Dlog4j.configuration="file:$here/kafka/log4j.properties" \
      -cp "$libs/*" kafka.Kafka "$data_dir/server.properties" \
      >"$data_dir/stdout.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
  fi
  if ! "${admin[@]}" wait --timeout 90; then
    log "broker did not come up; last lines of $data_dir/server.log:"
    tail -n 20 "$data_dir/server.log" >&2 || true
    exit 1
  fi
  "${admin[@]}" create expedia:3 expedia_ext:3 expedia_dlq:3 expedia_stay_stats:3:compact
  log "ready on $bootstrap"
}

stop() {
  service_stop "$pid_file" 30
  rm -rf "$data_dir"
}

answers() {
  "${admin[@]}" wait --timeout 5 2>/dev/null
}

status() {
  service_status "$pid_file" "$bootstrap" answers
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  jars) resolve_jars; echo "$libs" ;;
  *) echo "usage: $0 start|stop|status|jars" >&2; exit 2 ;;
esac
