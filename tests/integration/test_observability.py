"""What an operator reads, on the real local broker: /metrics after a run, /healthz through a real
output stall and back, JSON logs with librdkafka's own lines among them (docs/metrics.md)."""
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from kafka_testlib import (BOOTSTRAP, BUILD_DIR, ROOT, create_topics, free_port, job_args, metrics,
                           produce_records, read_topic, start_job, total, wait_for)

STATS = BUILD_DIR / "app" / "kstream-stats"


def get(port, path):
    """(status, body) of a GET."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def json_lines(text):
    """Every line of a JSON log, parsed; a line that is not a JSON object with the fields fails."""
    out = []
    for line in text.splitlines():
        record = json.loads(line)
        assert isinstance(record, dict), line
        assert set(record) >= {"ts", "level", "component", "message"}, line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["ts"]), line
        out.append(record)
    return out


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


def test_metrics_after_a_run_and_json_logs(logs):
    topics = create_topics("metrics")
    started = time.time()
    produce_records(topics["in"], 3000)
    port = free_port()
    proc = start_job(job_args(topics, group=f"g-{topics['in']}", drain=False, http_port=port,
                              extra=["--log.format=json"]), logs / "job.log")
    try:
        wait_for(lambda: total(metrics(port), "kstream_records_produced_total")
                 + total(metrics(port), "kstream_records_dead_lettered_total") == 3000, 60, "all records written")
        values = metrics(port)
        # Each record is timed once, at the commit that made it visible; the commit histogram
        # counts the transactions (both settle once the input is drained).
        wait_for(lambda: metrics(port)["kstream_end_to_end_latency_seconds_count"] == 3000, 30,
                 "3000 end-to-end latency observations")
        wait_for(lambda: metrics(port)["kstream_commit_duration_seconds_count"]
                 == metrics(port)["kstream_transactions_committed_total"], 30, "one commit duration per commit")
        # The lag of each assigned partition, known and 0 once everything is read (updated every second).
        wait_for(lambda: sorted((k, v) for k, v in metrics(port).items() if k.startswith("kstream_consumer_lag_records"))
                 == [(f'kstream_consumer_lag_records{{topic="{topics["in"]}",partition="{p}"}}', 0) for p in range(3)],
                 30, "lag 0 on the three assigned partitions")
        values = metrics(port)
        status, text = get(port, "/metrics")
        assert status == 200
        assert get(port, "/healthz") == (200, "ok\n")
    finally:
        code = stop(proc)
    assert code == 0, (logs / "job.log").read_text()
    now = time.time()

    # Every per-partition series names the topic; counters add up to what went in.
    for name in values:
        if "partition=" in name:
            assert name.split("{")[1].startswith(f'topic="{topics["in"]}",partition="'), name
    assert total(values, "kstream_records_consumed_total") == 3000
    assert values["kstream_partitions_assigned"] == 3
    assert values["kstream_commit_duration_seconds_count"] >= 1
    # Latency: every record produced after `started` and committed before `now`.
    count = values["kstream_end_to_end_latency_seconds_count"]
    assert 0 < values["kstream_end_to_end_latency_seconds_sum"] / count < now - started
    buckets = [(float(re.search(r'le="([^"]+)"', k).group(1).replace("+Inf", "inf")), v)
               for k, v in values.items() if k.startswith("kstream_end_to_end_latency_seconds_bucket")]
    assert [v for _, v in sorted(buckets)] == sorted(v for _, v in buckets), "cumulative buckets"
    assert sorted(buckets)[-1] == (float("inf"), 3000)
    # Build info: the project's version and a revision of this repository.
    build = [k for k in values if k.startswith("kstream_build_info")]
    assert len(build) == 1 and values[build[0]] == 1
    version, revision = re.fullmatch(r'kstream_build_info\{version="([^"]+)",revision="([^"]+)"\}', build[0]).groups()
    assert version == re.search(r"project\(kstream_app VERSION (\S+)", (ROOT / "CMakeLists.txt").read_text()).group(1)
    assert subprocess.run(["git", "-C", str(ROOT), "cat-file", "-t", revision], capture_output=True,
                          text=True).stdout.strip() == "commit", revision
    # The process and the progress clock.
    assert 5e6 < values["process_resident_memory_bytes"] < 2e9
    assert started - 5 <= values["process_start_time_seconds"] <= now
    assert started <= values["kstream_last_progress_timestamp_seconds"] <= now
    assert values["process_cpu_seconds_total"] > 0
    assert "# TYPE kstream_end_to_end_latency_seconds histogram" in text
    assert "kstream_consumer_lag{" not in text and " -1\n" not in text

    # The job's log: JSON lines only, UTC, with components and the partitions named.
    records = json_lines((logs / "job.log").read_text())
    components = {r["component"] for r in records}
    assert {"kstream-app", "consumer"} <= components, components
    assigned = [r for r in records if r["component"] == "consumer" and r["message"].startswith("assigned partitions")]
    assert assigned and assigned[0]["partitions"] == [0, 1, 2]
    assert any(r["component"] == "kstream-app" and r["message"].startswith("done: in 3000 | out ") for r in records)


def kafka_libs():
    """The broker's jars, as scripts/local-kafka.sh resolves them (for Kafka's own admin commands)."""
    pom = (ROOT / "scripts" / "kafka" / "pom.xml").read_text()
    version = re.search(r"<kafka.version>(.*)</kafka.version>", pom).group(1)
    return Path(os.environ.get("KSTREAM_CACHE", Path.home() / ".cache" / "kstream-app")) / f"kafka-{version}" / "libs"


def set_producer_quota(client_id, config):
    """A client quota through Kafka's own ConfigCommand (confluent-kafka 1.7 has no client-quota
    call): --add-config producer_byte_rate=N, or --delete-config producer_byte_rate."""
    subprocess.run(["java", "-cp", f"{kafka_libs()}/*", "kafka.admin.ConfigCommand", "--bootstrap-server", BOOTSTRAP,
                    "--alter", *config, "--entity-type", "clients", "--entity-name", client_id],
                   check=True, capture_output=True, timeout=120)


def test_healthz_fails_while_the_output_is_throttled_and_recovers(logs):
    """A real stall: a producer quota of 1 byte/s on the job's client id (its own, so no other
    test is throttled). The broker answers but mutes the producer's connection, so nothing is
    acknowledged while records wait: after job.stall-timeout-ms /healthz says 503 and why. Without
    the quota the job's request times out (socket.timeout.ms, 10 s here), is sent again and taken:
    200 again, and every record exactly once."""
    topics = create_topics("stall")
    client_id = f"kstream-stall-{topics['in']}"
    produce_records(topics["in"], 500)
    port = free_port()
    proc = start_job(job_args(topics, group=f"g-{topics['in']}", drain=False, http_port=port,
                              extra=["--job.stall-timeout-ms=3000", "--job.commit-interval-ms=200",
                                     # A 1 byte/s quota mutes the connection: no abort completes
                                     # before its requests time out (socket.timeout.ms), and with
                                     # the 10 s default the broker aborts the transaction first and
                                     # fences the job (exit 1; CI's ASan run met it). This test is
                                     # about /healthz during a stall; a slow output that still
                                     # delivers is faults.limits' slow-output test.
                                     "--job.transaction-timeout-ms=60000", "--job.shutdown-timeout-ms=60000",
                                     f'--kafka.properties=["client.id={client_id}","socket.timeout.ms=10000"]']),
                     logs / "job.log")
    throttled = False
    try:
        wait_for(lambda: total(metrics(port), "kstream_records_produced_total")
                 + total(metrics(port), "kstream_records_dead_lettered_total") == 500, 60, "the first 500 written")
        # Idle (nothing in flight, lag 0) for longer than the stall timeout is healthy.
        wait_for(lambda: total(metrics(port), "kstream_consumer_lag_records") == 0, 10, "lag 0")
        time.sleep(4)
        assert get(port, "/healthz") == (200, "ok\n")

        set_producer_quota(client_id, ["--add-config", "producer_byte_rate=1"])
        throttled = True
        produce_records(topics["in"], 500, seed=8)
        # The stalled answer is judged as it came: a throttled broker still answers one request per
        # throttle window (KIP-219 sends the response first, then mutes the connection), so a
        # second GET may land just after such an acknowledgement and read 200 (CI met that).
        stalled = {}

        def healthz_stalled():
            status, body = get(port, "/healthz")
            if status != 503:
                return False
            stalled.update(body=body, in_flight=total(metrics(port), "kstream_records_in_flight"))
            return True

        wait_for(healthz_stalled, 60, "/healthz 503 while the output is throttled")
        body = stalled["body"]
        assert body.startswith("stalled: nothing acknowledged for "), body
        assert "job.stall-timeout-ms 3000" in body and "records in flight" in body, body
        assert stalled["in_flight"] > 0
        assert get(port, "/readyz")[0] == 200  # a stall, not an outage

        set_producer_quota(client_id, ["--delete-config", "producer_byte_rate"])
        throttled = False
        wait_for(lambda: total(metrics(port), "kstream_records_produced_total")
                 + total(metrics(port), "kstream_records_dead_lettered_total") >= 1000, 120, "all 1000 written")
        wait_for(lambda: get(port, "/healthz") == (200, "ok\n"), 30, "/healthz 200 once the output takes records")
    finally:
        if throttled:
            set_producer_quota(client_id, ["--delete-config", "producer_byte_rate"])
        code = stop(proc)
    assert code == 0, (logs / "job.log").read_text()
    # Exactly once through the stall: 1000 records in, 1000 committed out (ext + dlq).
    assert len(read_topic(topics["out"])) + len(read_topic(topics["dlq"])) == 1000


def test_librdkafka_lines_come_through_spdlog_as_json(logs):
    """Both binaries against a closed port: librdkafka's own "Connection refused" lines arrive as
    JSON lines of component rdkafka, and nothing in librdkafka's own format reaches stderr."""
    closed = f"127.0.0.1:{free_port()}"
    topics = {"in": "obs_a", "out": "obs_b", "dlq": "obs_c"}
    job_cmd = [a for a in job_args(topics, group="g-closed") if not a.startswith("--kafka.bootstrap-servers=")]
    job = subprocess.Popen(job_cmd + [f"--kafka.bootstrap-servers={closed}", "--log.format=json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/tmp")
    stats = subprocess.Popen([str(STATS), f"--kafka.bootstrap-servers={closed}", "--log.format=json", "--http.port=0",
                              "--view.terminal=plain", "--job.drain"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/tmp")
    job_out, job_err = job.communicate(timeout=120)
    stats_out, stats_err = stats.communicate(timeout=120)
    (logs / "job.log").write_text(job_out + job_err)
    (logs / "stats.log").write_text(stats_out + stats_err)
    assert job.returncode == 1 and stats.returncode == 1
    for text in (job_out, stats_err):  # the job logs to stdout, kstream-stats to stderr
        records = json_lines(text)
        refused = [r for r in records if r["component"] == "rdkafka" and "Connection refused" in r["message"]]
        assert refused, text
        assert refused[0]["level"] in ("error", "warning", "info")
        assert any(r["level"] == "critical" and "is the broker reachable?" in r["message"] for r in records), text
    assert job_err == ""
    assert "|FAIL|" not in stats_out and "Connection refused" not in stats_out
