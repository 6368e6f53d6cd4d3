"""Production sizes (issue 24, items 1 and 2), on the faults broker, exactly-once checked with
read_committed readers:

- an output topic whose max.message.bytes (256 KiB) is smaller than the dead-letter topic's
  and than librdkafka's batch.size: every record out exactly once, exit 0, no abort loop;
- a backlog of near-limit records (900 KB each) with the job's peak RSS (VmHWM) under the
  bound its configuration promises (memorySizing in the chart's values.yaml);
- an output slower than what one transaction holds (a 2 MB/s quota, the default 10 s
  transaction timeout): exit 0, exactly once, never fenced;
- records the output topic's broker refuses for a reason of its own (a timestamp older than
  its message.timestamp.before.max.ms): each ends in the dead-letter topic, byte for byte, with
  the broker's reason; the rest exactly once; exit 0.

Each prints its figures (also appended to <build>/faults-figures.txt)."""
import hashlib
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import faultlib as fl
from committed_reader import read_to_end

kt = fl.kt
ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
OLD_TIMESTAMP_MS = 1483228800000  # 2017-01-01: far older than the output topic accepts below


def kafka_libs():
    """The broker's jars, where scripts/local-kafka.sh put them."""
    version = re.search(r"<kafka.version>(.*)</kafka.version>", (ROOT / "scripts" / "kafka" / "pom.xml").read_text()).group(1)
    cache = Path(os.environ.get("KSTREAM_CACHE", Path.home() / ".cache" / "kstream-app"))
    libs = cache / f"kafka-{version}" / "libs"
    assert libs.is_dir(), f"{libs} missing: run scripts/local-kafka.sh start once"
    return libs


def producer_quota(client_id, bytes_per_second):
    """Sets (or with None removes) the broker's producer_byte_rate quota for `client_id`:
    the broker then delays that producer's responses, so the output is slower than the input."""
    action = (["--add-config", f"producer_byte_rate={bytes_per_second}"] if bytes_per_second
              else ["--delete-config", "producer_byte_rate"])
    result = subprocess.run(["java", "-cp", f"{kafka_libs()}/*", "kafka.admin.ConfigCommand", "--bootstrap-server",
                             fl.BOOTSTRAP, "--alter", "--entity-type", "clients", "--entity-name", client_id] + action,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"setting the quota of {client_id} failed:\n{result.stdout}\n{result.stderr}"


def memory_sizing():
    """The chart's sizing rule (memorySizing in values.yaml): the job's peak RSS stays under
    fixedOverheadMiB + perInFlightByte x job.max-in-flight-bytes."""
    return fl.chart_value("fixedOverheadMiB"), fl.chart_value("perInFlightByte", float)


def feed(topic, count, partitions=3, pad=0, old=(), seed=11, compression="none"):
    """Writes `count` records like the Feeder's (id in the value, key k<id>, partition id % n),
    each padded with `pad` bytes, the ids in `old` with a 2017 timestamp, in batches of the given
    compression.type. Returns {id: (partition,
    sha1 of the expected output value, len)} and {id: the fed value} for the `old` ones."""
    import random
    rng = random.Random(seed)
    # Not idempotent, no retries, one request at a time: each record is written once, in order,
    # or its delivery report says why not (the idempotent producer's retries are the suspect
    # below: on CI's machine one delivery report carried no offset and a record was missing).
    producer = fl.Producer({"bootstrap.servers": fl.BOOTSTRAP, "enable.idempotence": False, "acks": "all",
                            "retries": 0, "max.in.flight.requests.per.connection": 1, "linger.ms": 20,
                            "request.timeout.ms": 120000, "message.timeout.ms": 300000,
                            "message.max.bytes": 2000000, "compression.type": compression})
    # Twice a near-limit run reported the first record of a partition lost, exit 0: the second
    # time the input topic itself began with that partition's second record (id 0 reported
    # delivered by librdkafka 2.0.2's idempotent producer, never stored). The cause is not
    # proven; writing only once the producer sees every partition's leader is a guess at it, and
    # the watermark check at the end makes such a loss fail here, named as the feeder's.
    deadline = time.monotonic() + 60
    while True:
        meta = producer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is not None and meta.error is None and len(meta.partitions) == partitions \
                and all(p.leader >= 0 for p in meta.partitions.values()):
            break
        assert time.monotonic() < deadline, f"{topic}'s {partitions} partitions have no leader after 60 s"
        time.sleep(0.2)
    expected, old_values, errors = {}, {}, []
    stored = {p: [] for p in range(partitions)}  # offsets the delivery reports gave, per partition

    def delivered(err, msg):
        if err:
            errors.append(str(err))
        else:
            stored[msg.partition()].append(msg.offset())

    filler = "x" * pad
    for i in range(count):
        value, ci, co = fl.stream_record(i, rng)
        if pad:
            value = value[:-1] + ',"pad":"' + filler + '"}'
        out = kt.expected_output(value, ci, co).encode()
        expected[i] = (i % partitions, hashlib.sha1(out).hexdigest(), len(out))
        kwargs = {"timestamp": OLD_TIMESTAMP_MS} if i in old else {}
        if i in old:
            old_values[i] = value.encode()
        while True:
            try:
                producer.produce(topic, value=value.encode(), key=f"k{i}".encode(), partition=i % partitions,
                                 on_delivery=delivered, **kwargs)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    assert producer.flush(300) == 0, f"the fed records were not all delivered to {topic}"
    assert not errors, f"feeding {topic} failed: {errors[:3]}"
    # What the broker holds is what was fed, or the test's input, not the job, lost records.
    consumer = fl.Consumer({"bootstrap.servers": fl.BOOTSTRAP, "group.id": f"feed-check-{time.monotonic_ns()}"})
    for p in range(partitions):
        fed = sum(1 for i in range(count) if i % partitions == p)
        low, high = consumer.get_watermark_offsets(fl.TopicPartition(topic, p), timeout=30)
        assert (low, high) == (0, fed), (f"{topic} [{p}] holds offsets [{low}, {high}) after {fed} records were fed "
                                         f"and reported delivered at offsets {stored[p][:5]}...: the "
                                         "test's feeder lost records, not the job")
    consumer.close()
    return expected, old_values


def read_out(topic, timeout=300):
    """Streams `topic` (read_committed) to its end: [(partition, key, id, sha1, len)] without
    keeping the values."""
    config = {"bootstrap.servers": fl.BOOTSTRAP, "group.id": f"reader-{time.monotonic_ns()}",
              "fetch.max.bytes": 16 * MIB}
    out = []
    for msg in read_to_end(config, topic, timeout=timeout, batch=500):
        value = msg.value()
        record_id = int(re.match(rb'\{"id":(\d+)', value).group(1))
        out.append((msg.partition(), msg.key(), record_id, hashlib.sha1(value).hexdigest(), len(value)))
    return out


def aborted_in_log(job):
    """Transactions aborted in the job's run; None when the run did not get to its final line."""
    found = fl.transactions(job, required=False)
    return found[1] if found else None


def check_output(topics, expected, label, started, exit_code, job, dead_ids=(), extra=None, failure=None):
    """Every fed id exactly once in out (its partition, key and enriched value, in order per
    partition), except `dead_ids`, which must be in the dead-letter topic; prints the figures."""
    out = read_out(topics["out"])
    dlq = kt.read_topic(topics["dlq"], timeout=180)
    seen, duplicates, wrong, order_breaks, last = set(), 0, [], [], {}
    for partition, key, record_id, digest, length in out:
        if record_id in seen:
            duplicates += 1
            continue
        seen.add(record_id)
        want = expected.get(record_id)
        if want is None or record_id in dead_ids or (partition, digest, length) != want \
                or key != f"k{record_id}".encode():
            wrong.append(f"id {record_id}: partition {partition} key {key!r} length {length} (want {want})")
        if last.get(partition, -1) > record_id:
            order_breaks.append((partition, last[partition], record_id))
        last[partition] = record_id
    lost = [i for i in expected if i not in seen and i not in dead_ids]
    figures = {"in": len(expected), "out": len(out), "dlq": len(dlq), "duplicates": duplicates, "lost": len(lost),
               "changed": len(wrong), "exit": exit_code, "aborted": aborted_in_log(job),
               "elapsed_s": round(time.monotonic() - started, 1)}
    figures.update(extra or {})
    figures["scenario"] = "failed" if failure is not None else "completed"
    fl.report(label, figures)
    if failure is not None:
        raise failure
    assert exit_code == 0, (f"the job {'did not finish' if exit_code is None else f'exited {exit_code}'}"
                            f"; its log ends:\n{job.log_tail(30)}")
    assert duplicates == 0, f"{duplicates} duplicates in {topics['out']}"
    assert not lost, f"{len(lost)} records lost, e.g. ids {lost[:10]}"
    assert not wrong, f"{len(wrong)} records wrong: {wrong[:5]}"
    assert not order_breaks, f"per-partition order broken: {order_breaks[:5]}"
    assert len(out) == len(expected) - len(dead_ids)
    return out, dlq


class PeakRss:
    """Samples /proc/<pid>/status VmHWM (the peak resident set) every 50 ms until the process
    is gone; `peak` is the last value read, in bytes."""

    def __init__(self, pid):
        self.pid, self.peak = pid, 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        path = Path(f"/proc/{self.pid}/status")
        while True:
            try:
                text = path.read_text()
            except OSError:
                return
            m = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
            if m:
                self.peak = max(self.peak, int(m.group(1)) * 1024)
            if re.search(r"^State:\s+Z", text, re.M):
                return
            time.sleep(0.05)

    def join(self):
        self._thread.join(timeout=5)
        return self.peak


def run_with_peak(job, timeout):
    """fl.run_bounded(), sampling the job's peak RSS meanwhile."""
    result = {}
    original_start = job.start

    def start():
        started = original_start()
        result["rss"] = PeakRss(job.proc.pid)
        return started

    job.start = start
    job.pauses = 0

    def watch_pauses():
        while job.proc is None or job.proc.poll() is None:
            try:
                job.pauses = kt.total(job.metrics(), "kstream_partition_pauses_total")
            except (OSError, AttributeError):
                pass
            time.sleep(0.5)

    threading.Thread(target=watch_pauses, daemon=True).start()
    code = fl.run_bounded(job, timeout)
    return code, result["rss"].join()


def test_output_limit_smaller_than_dlq_and_batch_size(logs):
    """Small records whose batches would exceed the output's 256 KiB limit (librdkafka builds
    batches up to batch.size, 1 MB, when message.max.bytes follows the DLQ's larger limit):
    before issue 24 this was "Message size too large", exit 1 after 7 s, on every restart."""
    started = time.monotonic()
    topics = fl.create_topics("limit_small", configs={"out": {"max.message.bytes": "262144"}})
    expected, _ = feed(topics["in"], 30000)
    job = fl.Job(topics, f"limit-small-{time.monotonic_ns()}", logs, "small-limit", drain=True)
    code = fl.run_bounded(job, 300)
    check_output(topics, expected, "limits.output_smaller_than_batch", started, code, job)
    aborted = aborted_in_log(job)
    assert aborted == 0, f"{aborted} transactions aborted: batches the output refused?"


def test_near_limit_backlog_peak_rss(logs):
    """A backlog of 500 valid 900 KB records (450 MB; each within the topics' 1 MB limit once
    enriched) read by a job with max-in-flight-bytes = 64 MiB whose output is throttled to
    16 MB/s (a producer quota on its client.id): the input is read several times faster than
    the output takes it, so what is in flight is what the bound allows, not what the output
    happens to keep up with (without the quota the output keeps up here and nothing piles up).
    All out exactly once, and peak RSS under the chart's sizing rule for that bound; with no
    byte bound (before issue 24: 60,000 records allowed) most of the backlog was in memory.
    500 rather than the issue's 3,000: seven times the bound is enough to show it holds, and
    the throttled output sets the test's duration (about 30 s for 450 MB)."""
    started = time.monotonic()
    in_flight_bytes = 64 * MIB
    overhead_mib, factor = memory_sizing()
    bound = overhead_mib * MIB + factor * in_flight_bytes
    topics = fl.create_topics("limit_rss")
    expected, _ = feed(topics["in"], 500, pad=900 * 1000)
    # The default transaction timeout (10 s): the job keeps each transaction to what the
    # throttled output delivers in time (before, a commit's worth of 900 KB records took longer
    # than that to flush and the broker fenced the job: exit 1).
    job = fl.Job(topics, f"limit-rss-{time.monotonic_ns()}", logs, "near-limit", drain=True,
                 extra=[f"--job.max-in-flight-bytes={in_flight_bytes}"])
    producer_quota("kstream-app-producer", 16 * MIB)
    try:
        code, peak = run_with_peak(job, 420)
    finally:
        producer_quota("kstream-app-producer", None)
    check_output(topics, expected, "limits.near_limit_backlog", started, code, job,
                 extra={"peak_rss_mib": round(peak / MIB, 1), "bound_mib": round(bound / MIB, 1),
                        "pauses": job.pauses})
    assert 0 < peak <= bound, (f"peak RSS {peak / MIB:.1f} MiB above the bound {bound / MIB:.1f} MiB "
                               f"({overhead_mib} MiB + {factor} x {in_flight_bytes // MIB} MiB in flight)")
    assert job.pauses > 0, "the byte bound never paused a partition: the test did not reach it"


def test_many_partitions_peak_rss_within_the_bound(logs):
    """500,000 small records (lz4 batches, as the loader writes them) in 96 partitions, read by
    a job at the default byte bound (job.max-in-flight-bytes, 128 MiB): all out exactly once,
    and peak RSS under the bound itself, however many the partitions. Before the prefetch
    followed the partition count (adapters/kafka_clients.cpp, prefetch_for), each fetch
    response carried up to 1 MiB per partition, 16 MiB in all, several times that once
    decompressed: 218 MiB here (85 MiB after), and about 205 MiB on the benchmark's full set at
    48 and 96 partitions. About a minute, most of it feeding and reading back."""
    started = time.monotonic()
    partitions, records = 96, 500_000
    bound = fl.job_default("max-in-flight-bytes")
    topics = fl.create_topics("limit_wide", partitions=partitions)
    expected, _ = feed(topics["in"], records, partitions=partitions, compression="lz4")
    job = fl.Job(topics, f"limit-wide-{time.monotonic_ns()}", logs, "wide", drain=True, commit_interval_ms=1000)
    code, peak = run_with_peak(job, 300)
    check_output(topics, expected, "limits.many_partitions_peak_rss", started, code, job,
                 extra={"partitions": partitions, "peak_rss_mib": round(peak / MIB, 1),
                        "bound_mib": round(bound / MIB, 1), "pauses": job.pauses})
    assert 0 < peak <= bound, (f"peak RSS {peak / MIB:.1f} MiB above job.max-in-flight-bytes "
                               f"{bound / MIB:.1f} MiB with {partitions} partitions")


def test_slow_output_keeps_transactions_within_the_timeout(logs):
    """An output slower than what one transaction holds: 3,000 records of 10 KB (30 MB) that
    the job, with its default 128 MiB of byte credit, reads in a moment, into an output
    throttled to 2 MB/s (a producer quota), with the default 10 s transaction timeout. Before,
    the first transaction took most of the input, its commit's flush outlasted the timeout, the
    broker aborted the transaction and fenced the job (exit 1; a restart met the same: a crash
    loop). Now the job commits transactions of what the output delivers in time (aborting one
    itself, before the broker would, when the output turns out slower than measured): exit 0,
    every record exactly once, never fenced. About 45 s."""
    started = time.monotonic()
    topics = fl.create_topics("limit_slow")
    expected, _ = feed(topics["in"], 3000, pad=10 * 1000)
    job = fl.Job(topics, f"limit-slow-{time.monotonic_ns()}", logs, "slow-output", drain=True)
    producer_quota("kstream-app-producer", 2 * MIB)
    try:
        code = fl.run_bounded(job, 300)
    finally:
        producer_quota("kstream-app-producer", None)
    text = job.log_path.read_text(errors="replace")
    slow_aborts = len(re.findall(r"producer: the output had acknowledged", text))
    budgets = re.findall(r"transactions hold at most (\d+ bytes|one batch)", text)
    check_output(topics, expected, "limits.slow_output", started, code, job,
                 extra={"slow_output_aborts": slow_aborts, "budget_after_last_abort": budgets[-1] if budgets else None})
    assert "fenced" not in text.lower(), f"the producer was fenced:\n{job.log_tail(30)}"
    aborted = aborted_in_log(job)
    # Each abort for a slow output halves the transactions at least (seen: 0 to 2 aborts, and
    # one more after an abort when librdkafka 2.0.2 purges the next transaction's first records):
    # a handful, not a loop.
    assert aborted is not None and aborted <= 6, f"{aborted} aborted transactions"


def test_broker_refused_records_go_to_the_dlq(logs):
    """Three records with a 2017 timestamp, which the output topic refuses (message.timestamp.
    before.max.ms of one hour): each in the dead-letter topic with the broker's reason, byte
    for byte, the other records exactly once, exit 0, and no abort loop (a bounded number of
    aborts per refused record)."""
    started = time.monotonic()
    topics = fl.create_topics("limit_refused", configs={"out": {"message.timestamp.type": "CreateTime",
                                                                "message.timestamp.before.max.ms": "3600000"}})
    old = {1234, 5001, 9999}
    expected, old_values = feed(topics["in"], 12000, old=old)
    job = fl.Job(topics, f"limit-refused-{time.monotonic_ns()}", logs, "refused", drain=True)
    code = fl.run_bounded(job, 300)
    _, dlq = check_output(topics, expected, "limits.broker_refused", started, code, job, dead_ids=old,
                          extra={"refused": len(old)})
    letters = {}
    for _partition, _offset, key, value, headers in dlq:
        letters[int(key[1:])] = (value, dict(headers))
    assert sorted(letters) == sorted(old), f"dead letters {sorted(letters)} != the refused records {sorted(old)}"
    for record_id, (value, headers) in letters.items():
        assert value == old_values[record_id], f"dead letter {record_id} is not the input byte for byte"
        reason = headers.get("kstream.error.reason", b"").decode()
        assert headers.get("kstream.error.code") == b"refused_by_broker", f"dead letter {record_id}: {headers}"
        assert "timestamp" in reason.lower(), f"dead letter {record_id}: reason {reason!r} does not carry the broker's"
    aborted = aborted_in_log(job)
    # Two aborts per refused record (its batch refused, then itself alone), and with librdkafka
    # 2.0.2 one more after each of those that some (seen: 8 for 3 records) bring: the first
    # records of the next transaction come back "Purged in queue".
    assert aborted is not None and aborted <= 4 * len(old) + 1, f"{aborted} aborted transactions for {len(old)} refused records"
