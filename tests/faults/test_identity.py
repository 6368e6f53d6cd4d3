"""kill -9 of an instance mid-transaction, then its replacement, in the chart's two identity
modes (issue 24), while a producer feeds a live stream:

  deployment   the replacement has a new name, so a new transactional id (a Deployment's new
               pod): nothing fences the dead instance, and its open transaction holds back the
               output's last stable offset until the broker aborts it (job.transaction-timeout-ms,
               plus up to the broker's 10 s abort check);
  statefulset  the replacement has the same name (a StatefulSet's pod <release>-N, static
               membership): its start-up fences the dead instance and aborts that transaction.

The stall is how long read_committed readers were held back: from the kill until the last
stable offset of every output partition where the dead instance had a transaction open has
passed the end of the log as it was at the kill. The instances run with the default commit
interval (1 s) and are killed 0.3 s after a commit; a kill that still caught a commit on its
way (the blocked offsets move on by themselves within a second) is not counted, and the
instance is started and killed again. The replacement starts a second after the kill (a
container restart takes longer). It is measured, written to
faults-figures.txt, and bounded only generously (below the transaction timeout plus the
broker's check interval plus slack: a 60 s timeout fails it). Both runs then assert
exactly-once with read_committed readers."""
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

import faultlib as fl

PARTITIONS = 3
TRANSACTION_TIMEOUT_S = fl.job_default("transaction-timeout-ms") / 1000
BROKER_ABORT_CHECK_S = 10        # transaction.abort.timed.out.transaction.cleanup.interval.ms
SLACK_S = 10
STALL_BOUND_S = TRANSACTION_TIMEOUT_S + BROKER_ABORT_CHECK_S + SLACK_S


def offsets(topic, isolation):
    """Per partition: the end of the log (read_uncommitted: high watermark) or the last stable
    offset (read_committed)."""
    consumer = Consumer({"bootstrap.servers": fl.BOOTSTRAP, "group.id": f"watermarks-{isolation}",
                         "isolation.level": isolation, "enable.auto.commit": False})
    try:
        return [watermark(consumer, topic, p) for p in range(PARTITIONS)]
    finally:
        consumer.close()


def watermark(consumer, topic, partition, timeout=30):
    """The partition's end as `consumer`'s isolation level sees it; retries what a fresh topic
    answers while its leadership settles (NOT_LEADER_FOR_PARTITION)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10, cached=False)[1]
        except KafkaException:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def open_transaction_ends(topic):
    """The partitions whose last stable offset is behind the end of the log, with that end."""
    ends, stable = offsets(topic, "read_uncommitted"), offsets(topic, "read_committed")
    return {p: ends[p] for p in range(PARTITIONS) if stable[p] < ends[p]}


def commits(job):
    return fl.kt.total(job.metrics(), "kstream_transactions_committed_total")


def identity(mode, name):
    """The instance's options as the chart sets them for a pod called `name`."""
    extra = [f"--kafka.instance-name={name}", "--job.batch-size=200"]
    if mode == "statefulset":
        extra.append("--kafka.static-membership=true")
    return extra


def kill_and_replace(mode, logs):
    started = time.monotonic()
    topics = fl.create_topics(f"identity-{mode}", partitions=PARTITIONS)
    group = f"g-{topics['in']}"
    feeder = fl.Feeder(topics["in"], PARTITIONS, rate=1000, seed=24).start()
    names = ("kstream-app-0", "kstream-app-0") if mode == "statefulset" else ("kstream-app-7d9f-x2k4q",
                                                                             "kstream-app-7d9f-p8r1z")
    figures = {"mode": mode}
    replacement = None

    def steps():
        nonlocal replacement
        crashed = None
        blocked = {}
        for attempt in range(1, 4):
            crashed = fl.Job(topics, group, logs, f"crashed-{attempt}", extra=identity(mode, names[0]),
                             commit_interval_ms=1000).start()
            fl.wait_for(lambda: sum(offsets(topics["out"], "read_committed")) > 0 and crashed.consumed() > 2000, 90,
                        "the first instance to commit output", job=crashed)
            # Kill a young transaction, well away from a commit: 0.3 s after one.
            before = commits(crashed)
            fl.wait_for(lambda: commits(crashed) > before, 30, "a commit", job=crashed)
            time.sleep(0.3)
            crashed.kill9()
            killed_at = time.monotonic()
            blocked = open_transaction_ends(topics["out"])
            time.sleep(max(0.0, killed_at + 1.0 - time.monotonic()))
            stable = offsets(topics["out"], "read_committed")
            if blocked and all(stable[p] < end for p, end in blocked.items()):
                break
            # No transaction open, or a commit on its way: nothing to measure. Again (same identity).
            blocked = {}
        assert blocked, "three kills never caught the instance with a transaction open"
        figures["kill_attempts"] = attempt
        figures["partitions_blocked"] = len(blocked)
        replacement = fl.Job(topics, group, logs, "replacement", extra=identity(mode, names[1]),
                             commit_interval_ms=1000).start()
        replacement_started = time.monotonic()
        deadline = killed_at + STALL_BOUND_S + 60
        while True:
            stable = offsets(topics["out"], "read_committed")
            if all(stable[p] >= end for p, end in blocked.items()):
                break
            assert time.monotonic() < deadline, f"read_committed readers still held back after {deadline - killed_at:.0f}s"
            assert replacement.alive(), f"the replacement exited with {replacement.proc.returncode}:\n{replacement.log_tail()}"
            time.sleep(0.1)
        figures["stall_s"] = round(time.monotonic() - killed_at, 1)
        figures["after_replacement_start_s"] = round(time.monotonic() - replacement_started, 1)
        fed = feeder.stop()
        fl.wait_caught_up(topics, fed, 180, jobs=[replacement])
        figures["replacement_exit"] = replacement.terminate()

    failure = fl.scenario(steps)
    feeder.stop()
    exit_code = figures.get("replacement_exit", None) if failure is None else None
    fl.check_exactly_once(topics, feeder.sent, f"identity_{mode}", started, restarts=1, extra_figures=figures,
                          exit_code=exit_code, job=replacement, failure=failure)
    return figures


def test_deployment_mode_new_transactional_id_waits_for_the_transaction_timeout(logs):
    figures = kill_and_replace("deployment", logs)
    # The dead instance's transaction is aborted by the broker: within the 10 s timeout plus
    # the broker's check interval (60 s under librdkafka's default timeout would fail this).
    assert figures["stall_s"] < STALL_BOUND_S, figures


def test_statefulset_mode_same_transactional_id_fences_the_dead_instance(logs):
    figures = kill_and_replace("statefulset", logs)
    assert figures["stall_s"] < STALL_BOUND_S, figures
