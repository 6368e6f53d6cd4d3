#!/usr/bin/python3
"""Show or reset the committed offsets of kstream-app's consumer group (Debian's
python3-confluent-kafka). A dry run unless --execute.

  offsets.py show  [--group kstream-app] [--topic expedia]
  offsets.py reset [--group kstream-app] [--topic expedia] (--to-earliest | --to-latest |
                   --to-datetime 2026-12-05T10:00:00Z | --to-offset P:N ...) [--partition P ...]
                   [--output-topic expedia_ext] [--execute]

`reset` refuses while the group has members (stop every instance first: `kubectl scale
deployment kstream-app --replicas=0`, or Ctrl-C the local job): the members would overwrite
the new offsets with their own at their next commit. It prints, per partition, the committed
offset, the new one and how many records that re-processes or skips, and what that does to
the output: under exactly_once the job writes each record once per pass over its offset, so
re-processed records are written to the output topic (and the DLQ) a second time; skipped
records reach neither.
"""
import argparse
import sys
import uuid
from datetime import datetime, timezone

from confluent_kafka import Consumer, KafkaException, TopicPartition, OFFSET_INVALID
from confluent_kafka.admin import AdminClient


def members(bootstrap, group):
    """(state, [member descriptions]) of the group."""
    found = AdminClient({"bootstrap.servers": bootstrap}).list_groups(group, timeout=10)
    for g in found:
        if g.id == group:
            return g.state, [f"{m.client_id} on {m.client_host} (member {m.id})" for m in g.members]
    return "Dead", []


def positions(bootstrap, group, topic, only):
    """{partition: (committed or None, low, high)}."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error is not None:
            raise SystemExit(f"offsets: topic {topic} does not exist on {bootstrap}")
        parts = sorted(metadata.partitions) if not only else sorted(only)
        committed = consumer.committed([TopicPartition(topic, p) for p in parts], timeout=10)
        out = {}
        for tp in committed:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=10)
            out[tp.partition] = (None if tp.offset == OFFSET_INVALID or tp.offset < 0 else tp.offset, low, high)
        return out
    finally:
        consumer.close()


def targets(args, current):
    """{partition: new offset}."""
    if args.to_earliest:
        return {p: low for p, (_, low, _) in current.items()}
    if args.to_latest:
        return {p: high for p, (_, _, high) in current.items()}
    if args.to_datetime:
        when = datetime.fromisoformat(args.to_datetime.replace("Z", "+00:00"))
        if when.tzinfo is None:
            raise SystemExit("offsets: --to-datetime needs a time zone (e.g. 2026-12-05T10:00:00Z)")
        ms = int(when.astimezone(timezone.utc).timestamp() * 1000)
        consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"offsets-tool-{uuid.uuid4().hex}"})
        try:
            found = consumer.offsets_for_times([TopicPartition(args.topic, p, ms) for p in current], timeout=10)
        finally:
            consumer.close()
        # No record at or after that time: the partition's end.
        return {tp.partition: tp.offset if tp.offset >= 0 else current[tp.partition][2] for tp in found}
    out = {}
    for spec in args.to_offset:
        try:
            p, n = (int(x) for x in spec.split(":"))
        except ValueError:
            raise SystemExit(f"offsets: --to-offset {spec!r}: expected PARTITION:OFFSET, e.g. 0:1500")
        if p not in current:
            raise SystemExit(f"offsets: --to-offset {spec}: {args.topic} has no partition {p}")
        low, high = current[p][1], current[p][2]
        if not low <= n <= high:
            raise SystemExit(f"offsets: --to-offset {spec}: partition {p} holds offsets {low}..{high}")
        out[p] = n
    return out


def show(args):
    state, who = members(args.bootstrap, args.group)
    print(f"group {args.group}: {state}, {len(who)} members")
    for m in who:
        print(f"  {m}")
    for p, (committed, low, high) in sorted(positions(args.bootstrap, args.group, args.topic, args.partition).items()):
        lag = "?" if committed is None else high - committed
        print(f"  {args.topic}/{p}: committed {committed if committed is not None else 'none'}, "
              f"log {low}..{high}, lag {lag}")
    return 0


def reset(args):
    state, who = members(args.bootstrap, args.group)
    if who:
        print(f"offsets: refused: group {args.group} is {state} with {len(who)} members:", file=sys.stderr)
        for m in who:
            print(f"  {m}", file=sys.stderr)
        print("Stop every instance of the job first (kubectl scale deployment kstream-app --replicas=0, "
              "or Ctrl-C the local job), then run this again: a member would overwrite the new offsets "
              "with its own at its next commit.", file=sys.stderr)
        return 1
    current = positions(args.bootstrap, args.group, args.topic, args.partition)
    new = targets(args, current)
    again = skipped = 0
    print(f"group {args.group} ({state}, no members), topic {args.topic}:")
    print(f"  {'partition':>9} {'committed':>10} {'new':>10}  effect")
    for p in sorted(new):
        committed, low, _ = current[p]
        start = committed if committed is not None else low
        if new[p] < start:
            effect = f"{start - new[p]} offsets processed again"
            again += start - new[p]
        elif new[p] > start:
            effect = f"{new[p] - start} offsets skipped"
            skipped += new[p] - start
        else:
            effect = "unchanged"
        print(f"  {p:>9} {committed if committed is not None else 'none':>10} {new[p]:>10}  {effect}")
    if again:
        print(f"\nWhat this does to the output: the job reads {again} offsets again (records, less any "
              f"transaction markers among them) and writes those records again. "
              f"Exactly-once covers failures, not a deliberate rewind: {args.output_topic} will hold those "
              f"records twice (and {args.topic}'s dead-lettered ones will be in the DLQ twice), and every reader "
              f"of {args.output_topic} counts them twice (kstream-stats, ksqlDB's stay_counts) - unless you "
              f"first delete and re-create {args.output_topic} and the DLQ (then rewind to the earliest offset "
              f"so that they are rebuilt whole) and rebuild the readers' state from it.")
    if skipped:
        print(f"\nWhat this does to the output: the records at {skipped} offsets are never processed: they reach neither "
              f"{args.output_topic} nor the DLQ.")
    if not args.execute:
        print("\ndry run: nothing changed (add --execute to commit these offsets)")
        return 0
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(args.topic, p, n) for p, n in sorted(new.items())],
                        asynchronous=False)
    except KafkaException as exc:
        print(f"offsets: the broker refused the new offsets ({exc}); did an instance join meanwhile?",
              file=sys.stderr)
        return 1
    finally:
        consumer.close()
    print(f"\ncommitted the new offsets of group {args.group}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="bootstrap servers (default %(default)s)")
    parser.add_argument("--group", default="kstream-app", help="the job's kafka.group-id (default %(default)s)")
    parser.add_argument("--topic", default="expedia", help="the job's input topic (default %(default)s)")
    parser.add_argument("--partition", type=int, action="append", help="only this partition (repeatable)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("show")
    r = sub.add_parser("reset")
    to = r.add_mutually_exclusive_group(required=True)
    to.add_argument("--to-earliest", action="store_true")
    to.add_argument("--to-latest", action="store_true")
    to.add_argument("--to-datetime", metavar="ISO-8601")
    to.add_argument("--to-offset", action="append", metavar="PARTITION:OFFSET")
    r.add_argument("--output-topic", default="expedia_ext", help="the job's output topic, for the warning")
    r.add_argument("--execute", action="store_true", help="commit the new offsets (default: a dry run)")
    args = parser.parse_args(argv)
    return show(args) if args.command == "show" else reset(args)


if __name__ == "__main__":
    sys.exit(main())
