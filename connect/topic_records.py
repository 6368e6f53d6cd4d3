#!/usr/bin/python3
"""Counts what a topic holds, as a read_committed consumer sees it (Debian's python3-confluent-kafka).

  topic_records.py count --topic T               print the committed records per partition and in all
  topic_records.py wait --topic T --expect N     consume until the topic holds N records, with progress;
                                                 fails on more than N, on a stall, or when the connector
                                                 named by --connector has FAILED
  topic_records.py dump --topic T                print partition<TAB>value of every record, in order

Transactional producers (Connect with exactly-once source support) leave commit markers and maybe
aborted records in the log, so offsets are not counts: this consumes the records.
"""
import argparse
import json
import sys
import time
import urllib.request
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition


def consumer(bootstrap):
    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "topic-records-" + uuid.uuid4().hex,
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
        "enable.partition.eof": False,
        "fetch.max.bytes": 52428800,
        "socket.timeout.ms": 10000,
    })


def assign_all(c, topic):
    md = c.list_topics(topic, timeout=15)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        sys.exit(f"topic_records: topic {topic} does not exist ({t.error if t else 'unknown topic'})")
    parts = sorted(t.partitions)
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    return parts


def at_end(c, topic, parts):
    """True when the consumer's position is at the high watermark of every partition."""
    positions = {tp.partition: tp.offset for tp in c.position([TopicPartition(topic, p) for p in parts])}
    for p in parts:
        _, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
        if high > 0 and positions.get(p, -1) < high:
            return False
    return True


def connector_failure(url):
    if not url:
        return None
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            d = json.load(r)
    except Exception:  # the worker may be restarting
        return None
    for x in [d.get("connector", {})] + d.get("tasks", []):
        if x.get("state") == "FAILED":
            return " | ".join(line.strip() for line in (x.get("trace") or "FAILED").splitlines()[:3])
    return None


def count(args):
    c = consumer(args.bootstrap)
    parts = assign_all(c, args.topic)
    per = {p: 0 for p in parts}
    idle_since = time.monotonic()
    while True:
        msgs = c.consume(10000, timeout=0.5)
        for m in msgs:
            if m.error() is None:
                per[m.partition()] += 1
        if msgs:
            idle_since = time.monotonic()
        elif at_end(c, args.topic, parts) or time.monotonic() - idle_since > args.idle:
            break
    c.close()
    return per


def cmd_count(args):
    per = count(args)
    print(" ".join(f"{p}:{n}" for p, n in sorted(per.items())), sum(per.values()))


def cmd_wait(args):
    c = consumer(args.bootstrap)
    parts = assign_all(c, args.topic)
    total = 0
    per = {p: 0 for p in parts}
    start = last_report = last_progress = time.monotonic()
    last_check = 0.0
    while True:
        msgs = c.consume(10000, timeout=0.5)
        for m in msgs:
            if m.error() is None:
                per[m.partition()] += 1
                total += 1
        now = time.monotonic()
        if msgs:
            last_progress = now
        if total > args.expect:
            sys.exit(f"topic_records: {args.topic} holds {total} records, more than the {args.expect} expected")
        if now - last_report >= args.every or (total == args.expect and not msgs):
            rate = total / max(now - start, 1e-6)
            print(f"topic_records: {args.topic}: {total}/{args.expect} records "
                  f"({100.0 * total / max(args.expect, 1):.0f}%, {rate:,.0f} rec/s)", file=sys.stderr, flush=True)
            last_report = now
        if total == args.expect and not msgs and at_end(c, args.topic, parts):
            break
        if now - last_check > 3:
            last_check = now
            failure = connector_failure(args.connector)
            if failure:
                sys.exit(f"topic_records: the connector failed: {failure}")
        if now - last_progress > args.stall:
            failure = connector_failure(args.connector)
            sys.exit(f"topic_records: {args.topic} stuck at {total}/{args.expect} records for {args.stall:.0f}s"
                     + (f"; connector: {failure}" if failure else ""))
    c.close()
    print(" ".join(f"{p}:{n}" for p, n in sorted(per.items())), total)


def cmd_dump(args):
    c = consumer(args.bootstrap)
    parts = assign_all(c, args.topic)
    idle_since = time.monotonic()
    out = sys.stdout.buffer
    while True:
        msgs = c.consume(10000, timeout=0.5)
        for m in msgs:
            if m.error() is None:
                key = "null" if m.key() is None else m.key().decode("utf-8", "replace")
                out.write(f"{m.partition()}\t{key}\t".encode() + (m.value() or b"null") + b"\n")
        if msgs:
            idle_since = time.monotonic()
        elif at_end(c, args.topic, parts) or time.monotonic() - idle_since > args.idle:
            break
    c.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("count", "wait", "dump"):
        p = sub.add_parser(name)
        p.add_argument("--topic", required=True)
        p.add_argument("--idle", type=float, default=10.0, help="give up reading after this many idle seconds")
        if name == "wait":
            p.add_argument("--expect", type=int, required=True)
            p.add_argument("--stall", type=float, default=180.0)
            p.add_argument("--every", type=float, default=5.0)
            p.add_argument("--connector", default="", help="status URL of the connector that loads the topic")
    args = parser.parse_args()
    try:
        {"count": cmd_count, "wait": cmd_wait, "dump": cmd_dump}[args.cmd](args)
    except KafkaException as exc:
        sys.exit(f"topic_records: {exc}")


if __name__ == "__main__":
    main()
