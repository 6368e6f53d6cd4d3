"""Stopping the job at any moment, hard or gracefully, then restarting it, neither loses nor
duplicates a record in what read_committed consumers of the output see."""
import json
import signal

import pytest

from kafka_testlib import (create_topics, expected_output, free_port, job_args, kill_hard, metrics,
                           produce_records, read_topic, run_job, start_job, total, wait_for)

RECORDS = 300000


def check_exactly_once(topics, sent):
    out = read_topic(topics["out"], timeout=120)
    ids = [json.loads(value)["id"] for _p, _o, _k, value, _h in out]
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} duplicates in {topics['out']}"
    assert len(ids) == len(sent), f"{len(sent) - len(ids)} records missing from {topics['out']}"
    expected = {json.loads(value)["id"]: expected_output(value, ci, co) for _p, value, ci, co in sent}
    for _p, _o, _k, value, _h in out:
        record_id = json.loads(value)["id"]
        assert value.decode() == expected[record_id]


def interrupt_midway(topics, group, guarantee, stop, logs):
    """Starts the job, stops it with `stop` once it is well into the input, and returns the exit code."""
    port = free_port()
    args = job_args(topics, group=group, guarantee=guarantee, drain=False, http_port=port,
                    extra=["--job.commit-interval-ms=200", "--job.batch-size=500"])
    proc = start_job(args, logs / "first-run.log")
    wait_for(lambda: total(metrics(port), "kstream_records_consumed_total") >= RECORDS // 4, 120,
             "the job to consume a quarter of the input")
    assert total(metrics(port), "kstream_records_consumed_total") < RECORDS, "stopped too late to prove anything"
    return stop(proc)


def test_kill_9_then_restart_gives_exactly_once(logs):
    topics = create_topics("kill9")
    sent = produce_records(topics["in"], RECORDS, seed=3)
    group = f"g-{topics['in']}"
    interrupt_midway(topics, group, "exactly_once", kill_hard, logs)
    # The aborted transaction's records are in the log but invisible to read_committed readers.
    partial = read_topic(topics["out"])
    assert len(partial) < RECORDS
    code = run_job(job_args(topics, group=group), logs / "restart.log")
    assert code == 0, (logs / "restart.log").read_text()
    check_exactly_once(topics, sent)


@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
def test_graceful_stop_then_restart_loses_and_duplicates_nothing(guarantee, logs):
    topics = create_topics(f"graceful_{guarantee}")
    sent = produce_records(topics["in"], RECORDS, seed=5)
    group = f"g-{topics['in']}"

    def terminate(proc):
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=60)

    assert interrupt_midway(topics, group, guarantee, terminate, logs) == 0, (logs / "first-run.log").read_text()
    log = (logs / "first-run.log").read_text()
    assert "stopping: finishing and committing what is in flight" in log
    code = run_job(job_args(topics, group=group, guarantee=guarantee), logs / "restart.log")
    assert code == 0, (logs / "restart.log").read_text()
    check_exactly_once(topics, sent)
