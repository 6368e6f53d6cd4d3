#!/usr/bin/env bash
# Helpers for the local services (Kafka, Azurite, Kafka Connect): a process recorded in a
# pid file, started detached, waited for, stopped. Each service script keeps its own
# start-up details and readiness check.

# process_started_at PID: when the process started, in seconds since the epoch.
process_started_at() {
  local ticks boot
  ticks="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20)"
  [ -n "$ticks" ] || return 1
  boot="$(awk '/^btime/ { print $2 }' /proc/stat)"
  echo $((boot + ticks / $(getconf CLK_TCK)))
}

# service_pid PID_FILE: prints the pid when the recorded process is alive; fails otherwise.
# A pid file outlives its process after a crash or a reboot, and its pid may then belong to
# another process: one that started after the file was written (2 s for rounding), which is
# not the service and must neither be waited for nor stopped.
service_pid() {
  [ -f "$1" ] || return 1
  local pid started
  pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null || return 1
  started="$(process_started_at "$pid")" || return 1
  [ "$started" -le $(($(stat -c %Y "$1") + 2)) ] || return 1
  echo "$pid"
}

# service_wait_ready PID_FILE SECONDS CHECK...: waits until CHECK succeeds; fails early when
# the process dies, and when SECONDS pass.
service_wait_ready() {
  local pid_file="$1" seconds="$2"
  shift 2
  local tries=$((seconds * 2))
  for _ in $(seq 1 "$tries"); do
    "$@" && return 0
    service_pid "$pid_file" >/dev/null || return 1
    sleep 0.5
  done
  return 1
}

# service_stop PID_FILE SECONDS: SIGTERM, up to SECONDS for a clean exit, then SIGKILL.
service_stop() {
  local pid_file="$1" seconds="$2" pid
  if pid="$(service_pid "$pid_file")"; then
    echo "stopping pid $pid" >&2
    kill "$pid"
    for _ in $(seq 1 $((seconds * 4))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
}

# service_status PID_FILE WHERE CHECK...: "running (pid N) on WHERE" when alive and CHECK
# succeeds, else "not running" and failure.
service_status() {
  local pid_file="$1" where="$2" pid
  shift 2
  if pid="$(service_pid "$pid_file")" && "$@"; then
    echo "running (pid $pid) on $where"
  else
    echo "not running"
    return 1
  fi
}
