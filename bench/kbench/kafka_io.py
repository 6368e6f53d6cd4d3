"""The broker as the benchmark sees it: topics, offsets, a group's commits, reading a topic back."""
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from committed_reader import read_to_end  # tests/lib
from kbench.common import log


class Kafka:
    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        self.admin = AdminClient({"bootstrap.servers": bootstrap})

    def topics(self):
        return self.admin.list_topics(timeout=10).topics

    def create(self, *names, partitions=3, config=None):
        existing = self.topics()
        new = [NewTopic(n, num_partitions=partitions, replication_factor=1, config=dict(config or {}))
               for n in names if n not in existing]
        for name, fut in (self.admin.create_topics(new, operation_timeout=30).items() if new else []):
            fut.result()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # metadata can lag the creation a little
            t = self.topics()
            if all(n in t and len(t[n].partitions) == partitions for n in names):
                return
            time.sleep(0.2)
        raise RuntimeError(f"topics {names} did not appear")

    def delete(self, *names):
        existing = self.topics()
        names = sorted({n for n in names if n in existing})
        for _, fut in (self.admin.delete_topics(names, operation_timeout=30).items() if names else []):
            try:
                fut.result()
            except Exception as exc:  # noqa: BLE001 - best effort clean-up
                log(f"could not delete a topic: {exc}")

    def recreate(self, topic, partitions=3):
        """An empty `topic`: deleted, a moment for the deletion to settle, created again."""
        self.delete(topic)
        time.sleep(2)
        self.create(topic, partitions=partitions)

    def end_offsets(self, topic):
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "bench-probe", "enable.auto.commit": False})
        try:
            parts = self.topics()[topic].partitions
            return [c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in sorted(parts)]
        finally:
            c.close()

    def committed(self, group, topic, partitions, probe=None):
        """The group's committed offsets (a consumer that does not join the group)."""
        c = probe or Consumer({"bootstrap.servers": self.bootstrap, "group.id": group, "enable.auto.commit": False})
        try:
            tps = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
            return [tp.offset for tp in tps]
        finally:
            if probe is None:
                c.close()


def read_topic(bootstrap, topic, fn):
    """Calls fn(partition, key, value) for every committed record of every partition of topic,
    up to the end it has now (tests/lib/committed_reader: that end is read past a commit whose
    markers are not yet written)."""
    config = {"bootstrap.servers": bootstrap, "group.id": "bench-checker",
              "fetch.max.bytes": 64 << 20, "max.partition.fetch.bytes": 16 << 20}
    for m in read_to_end(config, topic, timeout=3600):
        fn(m.partition(), m.key(), m.value())


def last_record_ends(bootstrap, topic, ends):
    """Per partition, the offset after its last record: what a consumer has committed once it
    has processed everything (the end offset itself can lie beyond trailing transaction markers)."""
    def probe():
        return Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-probe", "enable.auto.commit": False,
                         "isolation.level": "read_committed", "enable.partition.eof": True})

    out = []
    c = probe()
    try:
        for p, end in enumerate(ends):
            back, last, stalls = 64, None, 0
            while last is None:
                start = max(0, end - back)
                c.assign([TopicPartition(topic, p, start)])
                eof, deadline = False, time.monotonic() + 15
                while not eof and time.monotonic() < deadline:
                    for m in c.consume(1000, 1.0):
                        if m.partition() != p:
                            continue  # a late event of the partition probed before
                        if m.error():
                            eof = eof or m.error().code() == KafkaError._PARTITION_EOF
                        else:
                            last = m.offset() + 1
                if not eof:
                    # Seen twice on a 12-partition topic just written: the last partition's
                    # probe got neither records nor its end, for minutes. A new client reads it.
                    stalls += 1
                    if stalls == 3:
                        raise RuntimeError(f"{topic} [{p}]: reading from offset {start} reached neither a "
                                           "record nor the partition's end in 3 tries of 15 s")
                    log(f"{topic} [{p}]: no end reached from offset {start} in 15 s; probing again")
                    c.close()
                    c = probe()
                    continue
                if start == 0:
                    break
                back *= 8
            out.append(last or 0)
    finally:
        c.close()
    return out
