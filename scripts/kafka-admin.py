#!/usr/bin/python3
"""Small admin client for the local broker (Debian's python3-confluent-kafka).

  kafka-admin.py wait [--timeout S]                    wait until the broker answers
  kafka-admin.py create TOPIC[:PARTITIONS[:compact]]... create topics that do not exist yet
  kafka-admin.py delete TOPIC...                       delete topics
  kafka-admin.py list                                  list topics with partition counts
"""
import argparse
import sys
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic


def admin(bootstrap):
    return AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 5000})


def wait_ready(bootstrap, timeout):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            md = admin(bootstrap).list_topics(timeout=3)
            if md.brokers:
                return
        except KafkaException as exc:
            last = exc
        time.sleep(0.5)
    sys.exit(f"kafka-admin: broker {bootstrap} did not answer within {timeout}s ({last})")


def create(bootstrap, specs):
    client = admin(bootstrap)
    existing = client.list_topics(timeout=10).topics
    wanted = []
    for spec in specs:
        parts = spec.split(":")
        name = parts[0]
        partitions = int(parts[1]) if len(parts) > 1 and parts[1] else 3
        config = {"cleanup.policy": "compact"} if len(parts) > 2 and parts[2] == "compact" else {}
        if name in existing:
            have = len(existing[name].partitions)
            if have != partitions:
                sys.exit(f"kafka-admin: topic {name} exists with {have} partitions, wanted {partitions}; "
                         f"delete it (kafka-admin.py delete {name}) or use another name")
            continue
        wanted.append(NewTopic(name, num_partitions=partitions, replication_factor=1, config=config))
    for name, fut in client.create_topics(wanted, operation_timeout=30).items() if wanted else []:
        try:
            fut.result()
            print(f"created topic {name}")
        except KafkaException as exc:
            if exc.args[0].code() != 36:  # TOPIC_ALREADY_EXISTS: a concurrent create won
                sys.exit(f"kafka-admin: cannot create topic {name}: {exc}")


def delete(bootstrap, names):
    client = admin(bootstrap)
    existing = client.list_topics(timeout=10).topics
    names = [n for n in names if n in existing]
    for name, fut in client.delete_topics(names, operation_timeout=30).items() if names else []:
        fut.result()
        print(f"deleted topic {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait")
    w.add_argument("--timeout", type=float, default=60)
    c = sub.add_parser("create")
    c.add_argument("topics", nargs="+")
    d = sub.add_parser("delete")
    d.add_argument("topics", nargs="+")
    sub.add_parser("list")
    args = parser.parse_args()
    if args.cmd == "wait":
        wait_ready(args.bootstrap, args.timeout)
    elif args.cmd == "create":
        create(args.bootstrap, args.topics)
    elif args.cmd == "delete":
        delete(args.bootstrap, args.topics)
    else:
        for name, md in sorted(admin(args.bootstrap).list_topics(timeout=10).topics.items()):
            print(f"{name}\t{len(md.partitions)}")


if __name__ == "__main__":
    main()
