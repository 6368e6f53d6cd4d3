"""What an operator relies on: health and readiness, metrics, clear start-up errors."""
import signal
import subprocess
import urllib.error
import urllib.request

from kafka_testlib import (APP, BOOTSTRAP, create_topics, free_port, job_args, metrics, produce_records, start_job,
                           total, wait_for)


def status(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_health_readiness_metrics_and_sigterm(logs):
    topics = create_topics("ops")
    produce_records(topics["in"], 2000)
    port = free_port()
    proc = start_job(job_args(topics, group=f"g-{topics['in']}", drain=False, http_port=port), logs / "job.log")
    try:
        wait_for(lambda: status(port, "/healthz") == 200, 30, "/healthz")
        wait_for(lambda: status(port, "/readyz") == 200, 30, "/readyz (assigned and consuming)")
        wait_for(lambda: total(metrics(port), "kstream_records_produced_total") == 2000, 60, "all records produced")
        values = metrics(port)
        assert total(values, "kstream_records_consumed_total") == 2000
        assert sorted(k for k in values if k.startswith("kstream_records_consumed_total")) == [
            f'kstream_records_consumed_total{{topic="{topics["in"]}",partition="{p}"}}' for p in range(3)]
        # The producer counts a delivery before the consumer takes the credit back: a moment later.
        wait_for(lambda: total(metrics(port), "kstream_records_in_flight") == 0, 10, "no records in flight")
        wait_for(lambda: metrics(port)["kstream_transactions_committed_total"] >= 1, 30, "a committed transaction")
        assert status(port, "/nope") == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0, (logs / "job.log").read_text()
    assert "done: in 2000 | out 2000 | dead-lettered 0" in (logs / "job.log").read_text()


def run_cli(*args):
    return subprocess.run([str(APP), *args], capture_output=True, text=True, timeout=30, cwd="/tmp")


def test_bad_configuration_fails_before_connecting():
    result = run_cli("--job.guarantee=twice", "--kafka.bootstrap-servers=192.0.2.1:9")
    assert result.returncode == 2
    assert 'job.guarantee = "twice" is not one of' in result.stderr
    result = run_cli("--config-file=/nonexistent/kstream.ini")
    assert result.returncode == 2
    assert "cannot read config file /nonexistent/kstream.ini" in result.stderr


def test_missing_topic_is_named(logs):
    topics = create_topics("missing")
    topics["out"] = topics["out"] + "_does_not_exist"
    result = subprocess.run(job_args(topics, group="g-missing"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"topic {topics['out']} does not exist" in result.stdout + result.stderr


def test_unreachable_broker_is_reported():
    topics = {"in": "a", "out": "b", "dlq": "c"}
    args = job_args(topics, group="g") + ["--kafka.bootstrap-servers=127.0.0.1:1"]
    result = subprocess.run([a for a in args if not a.startswith(f"--kafka.bootstrap-servers={BOOTSTRAP}")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "is the broker reachable?" in result.stdout + result.stderr


def test_in_flight_stays_within_the_bound(logs):
    """Backpressure on a real broker: with a small bound, the instance's in-flight records never
    exceed it by more than one batch per partition, each partition stays within its share (the
    bound / 3 partitions) plus a batch, and partitions do get paused (the share is reached)."""
    topics = create_topics("bound")
    produce_records(topics["in"], 60000)
    port = free_port()
    bound, batch = 200, 20
    args = job_args(topics, group=f"g-{topics['in']}", drain=True, http_port=port,
                    extra=[f"--job.max-in-flight={bound}", f"--job.batch-size={batch}", "--job.commit-interval-ms=50"])
    proc = start_job(args, logs / "job.log")
    worst, worst_total, paused_seen = 0, 0, False
    try:
        while proc.poll() is None:
            try:
                values = metrics(port)
            except OSError:
                continue
            total = 0
            for name, value in values.items():
                if name.startswith("kstream_records_in_flight"):
                    worst = max(worst, value)
                    total += value
                if name.startswith("kstream_partition_paused") and value == 1:
                    paused_seen = True
            worst_total = max(worst_total, total)
    finally:
        code = proc.wait(timeout=120)
    assert code == 0, (logs / "job.log").read_text()
    assert paused_seen, "the bound was never reached, so it was not tested"
    share = bound // 3
    assert worst <= share + batch, f"a partition had {worst} in flight, its share {share} + batch {batch}"
    assert worst_total <= bound + 3 * batch, f"the instance had {worst_total} in flight, bound {bound} + 3 batches"
    assert "done: in 60000 | out 60000" in (logs / "job.log").read_text()
