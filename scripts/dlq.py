#!/usr/bin/python3
"""Inspect and replay kstream-app's dead-letter topic (Debian's python3-confluent-kafka).

  dlq.py list   [--dlq expedia_dlq] [SELECTION] [--show N] [--json]
  dlq.py replay [--dlq expedia_dlq] [SELECTION] [--to TOPIC] [--dry-run]

SELECTION: --code CODE (repeatable; the `kstream.error.code` header, e.g. not_json: the
codes are listed in README.md, "Dead-letter codes"), --reason TEXT (repeatable; the exact
`kstream.error.reason` prose), --partition P, --from-offset N, --to-offset N (inclusive, DLQ
offsets). Records are read read_committed, up to each partition's end when the command starts;
a transaction still open there is waited for (--settle-s, 30 s by default), then left out with
a note on standard error.

`list` groups the records by `kstream.error.code` with their count, partitions, offset
ranges and their distinct reasons (the prose adds details such as the parser's error);
records written before the job set codes are grouped by their reason under code "-".
--show N prints N records of each group.

`replay` writes each selected record back to the topic it came from (its
`kstream.source.topic` header, or --to) and partition (`kstream.source.partition`), with its
key and value unchanged, its original headers kept in order and the job's `kstream.*`
headers removed. Exactly once: every replayed record and a marker naming its DLQ
coordinates (topic `<dlq>_replayed`, compacted, created when missing) are written in one
Kafka transaction, and a replay skips the coordinates that have a committed marker, so a
second replay of the same selection writes nothing, and an interrupted one resumes. The
transactional id is fixed per DLQ: a concurrent replay fences the earlier one (whose open
transaction is aborted) before it reads the markers. Records whose value the DLQ could not
keep (the output and the dead-letter topic both refused them: empty value with
`kstream.error.refusal`) are counted and left alone, as are tombstones (code `tombstone`: a
null value, which the job can only dead-letter again).
"""
import argparse
import json
import sys
import time
import uuid
from collections import Counter, OrderedDict

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

JOB_HEADER_PREFIX = "kstream."
REASON = "kstream.error.reason"
CODE = "kstream.error.code"
REFUSAL = "kstream.error.refusal"
SOURCE_TOPIC = "kstream.source.topic"
SOURCE_PARTITION = "kstream.source.partition"
SOURCE_OFFSET = "kstream.source.offset"
TRANSACTION_RECORDS = 1000


def header(headers, name):
    """The last value of header `name` as text, or None."""
    found = None
    for key, value in headers or []:
        if key == name:
            found = None if value is None else value.decode("utf-8", "replace")
    return found


def log_ends(bootstrap, topic, partitions):
    """{partition: (low, high watermark)}. Asked read_uncommitted: a read_committed client is
    answered the last stable offset, which lags the log while a transaction is open and, just
    after a commit, until the broker has written its markers."""
    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": f"kstream-dlq-tool-{uuid.uuid4().hex}",
                      "isolation.level": "read_uncommitted"})
    try:
        return {p: probe.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in partitions}
    finally:
        probe.close()


def read_to_end(bootstrap, topic, partitions=None, timeout=120, settle_s=30.0):
    """Every committed record of `topic` (or of `partitions`) up to the end it has now, in
    partition then offset order; a transaction still open there after `settle_s` is left out."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"kstream-dlq-tool-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "enable.partition.eof": True})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error is not None:
            raise SystemExit(f"dlq: topic {topic} does not exist on {bootstrap}")
        wanted = sorted(metadata.partitions) if partitions is None else sorted(partitions)
        ends = {p: high for p, (low, high) in log_ends(bootstrap, topic, wanted).items() if high > low}
        if not ends:
            return []
        consumer.assign([TopicPartition(topic, p, 0) for p in ends])
        out, done, held = [], set(), {}
        started = time.monotonic()
        while len(done) < len(ends):
            waited = time.monotonic() - started
            if waited > timeout:
                raise SystemExit(f"dlq: reading {topic} did not reach its end within {timeout} s")
            if held and waited >= settle_s:
                # A transaction still open at the end: what it wrote is not committed (yet).
                for p, at in sorted(held.items()):
                    print(f"dlq: {topic} [{p}] read to offset {at}: the records after it, to {ends[p]}, belong to a "
                          f"transaction still open after {settle_s:g} s (a writer that died mid-transaction is "
                          "ended by its transaction.timeout.ms); run again later to see them if it commits",
                          file=sys.stderr)
                done.update(held)
                held.clear()
            for msg in consumer.consume(1000, timeout=1.0):
                if msg.error():
                    if msg.error().code() != -191:  # partition EOF
                        raise KafkaException(msg.error())
                    # read_committed reports the end at the last stable offset: just after a
                    # commit, before the broker wrote its markers, that is short of the end
                    # taken above, and the records come a moment later.
                    if msg.offset() >= ends.get(msg.partition(), 0):
                        done.add(msg.partition())
                        held.pop(msg.partition(), None)
                    elif msg.partition() not in done:
                        held[msg.partition()] = msg.offset()
                    continue
                held.pop(msg.partition(), None)
                if msg.partition() in done:
                    continue
                if msg.offset() < ends[msg.partition()]:
                    out.append(msg)
                if msg.offset() + 1 >= ends[msg.partition()]:
                    done.add(msg.partition())
        out.sort(key=lambda m: (m.partition(), m.offset()))
        return out
    finally:
        consumer.close()


def selected(records, args):
    for msg in records:
        if args.partition is not None and msg.partition() != args.partition:
            continue
        if args.from_offset is not None and msg.offset() < args.from_offset:
            continue
        if args.to_offset is not None and msg.offset() > args.to_offset:
            continue
        if args.code and header(msg.headers(), CODE) not in args.code:
            continue
        if args.reason and header(msg.headers(), REASON) not in args.reason:
            continue
        yield msg


def ranges(offsets):
    """[1, 2, 3, 7] -> "1-3,7"."""
    parts, start, prev = [], None, None
    for o in sorted(offsets):
        if start is None:
            start = prev = o
        elif o == prev + 1:
            prev = o
        else:
            parts.append(f"{start}-{prev}" if prev != start else str(start))
            start = prev = o
    if start is not None:
        parts.append(f"{start}-{prev}" if prev != start else str(start))
    return ",".join(parts)


def command_list(args):
    groups = OrderedDict()
    records = list(selected(read_to_end(args.bootstrap, args.dlq, settle_s=args.settle_s), args))
    for msg in records:
        code = header(msg.headers(), CODE)
        key = code if code else ("-", header(msg.headers(), REASON) or "(no reason header)")
        groups.setdefault(key, []).append(msg)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), str(item[0])))

    def reasons_of(msgs):
        return Counter(header(m.headers(), REASON) or "(no reason header)" for m in msgs)

    if args.json:
        print(json.dumps({"topic": args.dlq, "records": len(records), "groups": [
            {"code": key if isinstance(key, str) else None, "records": len(msgs),
             "reasons": dict(reasons_of(msgs).most_common()),
             "partitions": {str(p): ranges(m.offset() for m in msgs if m.partition() == p)
                            for p in sorted({m.partition() for m in msgs})}}
            for key, msgs in ordered]}, indent=2))
        return 0
    print(f"{args.dlq}: {len(records)} records selected (read_committed), {len(groups)} codes")
    for key, msgs in ordered:
        where = "; ".join(f"p{p} {ranges(m.offset() for m in msgs if m.partition() == p)}"
                          for p in sorted({m.partition() for m in msgs}))
        reasons = reasons_of(msgs)
        print(f"{len(msgs):>9}  {key if isinstance(key, str) else key[0]}")
        for reason, count in reasons.most_common(3):
            print(f"{'':>11}{count} x {reason}")
        if len(reasons) > 3:
            print(f"{'':>11}... {len(reasons) - 3} more reasons (--json lists them all)")
        print(f"{'':>11}at {where}")
        for msg in msgs[:args.show]:
            value = msg.value() or b""
            text = value[:160].decode("utf-8", "replace") + ("..." if len(value) > 160 else "")
            print(f"{'':>11}{msg.partition()}/{msg.offset()} from {header(msg.headers(), SOURCE_TOPIC)}/"
                  f"{header(msg.headers(), SOURCE_PARTITION)}/{header(msg.headers(), SOURCE_OFFSET)}: {text!r}")
    return 0


def ensure_progress_topic(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic in admin.list_topics(timeout=10).topics:
        return
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=-1,
                                            config={"cleanup.policy": "compact"})], operation_timeout=30)
    for future in futures.values():
        try:
            future.result()
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    deadline = time.monotonic() + 30
    while topic not in admin.list_topics(timeout=10).topics:
        if time.monotonic() > deadline:
            raise SystemExit(f"dlq: created {topic}, but it is not in the metadata 30 s later")
        time.sleep(0.2)


def marker_key(dlq, msg):
    return f"{dlq}/{msg.partition()}/{msg.offset()}"


def command_replay(args):
    progress = args.progress_topic or f"{args.dlq}_replayed"
    producer = None
    if not args.dry_run:
        ensure_progress_topic(args.bootstrap, progress)
        producer = Producer({"bootstrap.servers": args.bootstrap,
                             "transactional.id": args.transactional_id or f"kstream-dlq-replay-{args.dlq}",
                             "enable.idempotence": True, "linger.ms": 20})
        # Fence any earlier replay of this DLQ before reading what it committed.
        producer.init_transactions(60)
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    done = set()
    if progress in admin.list_topics(timeout=10).topics:
        done = {m.key().decode() for m in read_to_end(args.bootstrap, progress, settle_s=args.settle_s)}
    partition_counts = {}
    counts = {"selected": 0, "already_replayed": 0, "tombstones": 0, "value_lost": 0, "replayed": 0}
    todo = []
    for msg in selected(read_to_end(args.bootstrap, args.dlq, settle_s=args.settle_s), args):
        counts["selected"] += 1
        headers = msg.headers() or []
        if marker_key(args.dlq, msg) in done:
            counts["already_replayed"] += 1
            continue
        if header(headers, REFUSAL) is not None:
            counts["value_lost"] += 1
            continue
        if msg.value() is None:
            # A tombstone came in as one: written back, it would only be dead-lettered again.
            counts["tombstones"] += 1
            continue
        target = args.to or header(headers, SOURCE_TOPIC)
        if not target:
            raise SystemExit(f"dlq: {args.dlq}/{msg.partition()}/{msg.offset()} has no {SOURCE_TOPIC} header: "
                             "name the topic to replay into with --to")
        if target not in partition_counts:
            metadata = admin.list_topics(target, timeout=10).topics.get(target)
            if metadata is None or metadata.error is not None:
                raise SystemExit(f"dlq: the target topic {target} does not exist")
            partition_counts[target] = len(metadata.partitions)
        source_partition = header(headers, SOURCE_PARTITION)
        partition = int(source_partition) if source_partition is not None else msg.partition()
        if partition >= partition_counts[target]:
            raise SystemExit(f"dlq: {args.dlq}/{msg.partition()}/{msg.offset()} came from partition {partition}, "
                             f"which {target} does not have ({partition_counts[target]} partitions)")
        kept = [(k, v) for k, v in headers if not k.startswith(JOB_HEADER_PREFIX)]
        todo.append((msg, target, partition, kept))
    if args.dry_run:
        by_target = {}
        for _, target, partition, _ in todo:
            by_target[(target, partition)] = by_target.get((target, partition), 0) + 1
        print(json.dumps({**counts, "would_replay": len(todo),
                          "into": {f"{t}/{p}": n for (t, p), n in sorted(by_target.items())}}))
        return 0
    for start in range(0, len(todo), TRANSACTION_RECORDS):
        chunk = todo[start:start + TRANSACTION_RECORDS]
        producer.begin_transaction()
        try:
            for msg, target, partition, kept in chunk:
                produce(producer, target, partition, msg.key(), msg.value(), kept)
                produce(producer, progress, 0, marker_key(args.dlq, msg).encode(),
                        json.dumps({"topic": target, "partition": partition, "code": header(msg.headers(), CODE),
                                    "reason": header(msg.headers(), REASON)}).encode(), None)
            producer.commit_transaction(60)
        except BaseException:
            try:
                producer.abort_transaction(60)
            finally:
                raise
        counts["replayed"] += len(chunk)
    print(json.dumps(counts))
    return 0


def produce(producer, topic, partition, key, value, headers):
    while True:
        try:
            producer.produce(topic, value=value, key=key, partition=partition, headers=headers)
            return
        except BufferError:
            producer.poll(0.1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="bootstrap servers (default %(default)s)")
    parser.add_argument("--dlq", default="expedia_dlq", help="dead-letter topic (default %(default)s)")
    parser.add_argument("--settle-s", type=float, default=30.0,
                        help="seconds to wait for a transaction still open at a partition's end (default %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("list", "replay"):
        p = sub.add_parser(name)
        p.add_argument("--code", action="append", help="only records with this kstream.error.code (repeatable)")
        p.add_argument("--reason", action="append", help="only records with this kstream.error.reason (repeatable)")
        p.add_argument("--partition", type=int, help="only this DLQ partition")
        p.add_argument("--from-offset", type=int, help="only DLQ offsets >= N")
        p.add_argument("--to-offset", type=int, help="only DLQ offsets <= N")
        if name == "list":
            p.add_argument("--show", type=int, default=0, metavar="N", help="print N records of each code")
            p.add_argument("--json", action="store_true", help="print JSON")
        else:
            p.add_argument("--to", help="topic to replay into (default: each record's kstream.source.topic)")
            p.add_argument("--dry-run", action="store_true", help="count what would be replayed; write nothing")
            p.add_argument("--progress-topic", help="replay markers (default <dlq>_replayed)")
            p.add_argument("--transactional-id", help="default kstream-dlq-replay-<dlq>")
    args = parser.parse_args(argv)
    return command_list(args) if args.command == "list" else command_replay(args)


if __name__ == "__main__":
    sys.exit(main())
