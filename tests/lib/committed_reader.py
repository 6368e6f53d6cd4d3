"""A topic's records read to its end: the one reading loop of the tests.

A read_committed consumer reports a partition's end (_PARTITION_EOF) at its last stable offset,
and its watermark query answers that offset too. Just after a transaction commits, before the
broker has written the commit's markers, that end lies before records the commit makes visible
a moment later: CI read a dead-letter topic 6 records short right after the job's exit 0. So the
end is the high watermark, asked of a read_uncommitted client when the read begins, and an end
reported before it is read past. A partition held back for `settle_s` is taken as it stands: a
transaction left open by a killed producer ends only at its timeout or when a successor fences
it, and what it wrote is not committed."""
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

PARTITION_EOF = -191  # KafkaError._PARTITION_EOF


def high_watermarks(config, topic, partitions):
    """{partition: high watermark}: the end of the log, committed or not."""
    probe = Consumer({**config, "isolation.level": "read_uncommitted"})
    try:
        return {p: probe.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
    finally:
        probe.close()


def read_to_end(config, topic, timeout=60, settle_s=15.0, batch=10000):
    """Yields every record (a confluent_kafka Message) of every partition of `topic`, from offset
    0 to the end it had when the read began, read as `config` says (a consumer's properties with
    a group.id; read_committed unless it says otherwise). AssertionError after `timeout` s."""
    consumer = Consumer({"isolation.level": "read_committed", **config, "enable.partition.eof": True,
                         "enable.auto.commit": False})
    try:
        partitions = sorted(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
        ends = high_watermarks(config, topic, partitions)
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        started = time.monotonic()
        done, held = set(), {}  # held: partition -> the end it reported short of its high watermark
        while len(done) < len(partitions):
            waited = time.monotonic() - started
            assert waited < timeout, (f"reading {topic} did not reach its end within {timeout}s (at their ends: "
                                      f"{sorted(done)}; short of it, held back by a transaction: {held})")
            if waited >= settle_s:
                done.update(held)
            for msg in consumer.consume(batch, timeout=1.0):
                error = msg.error()
                if error is None:
                    held.pop(msg.partition(), None)
                    yield msg
                elif error.code() != PARTITION_EOF:
                    raise KafkaException(error)
                elif msg.offset() >= ends[msg.partition()]:
                    done.add(msg.partition())
                    held.pop(msg.partition(), None)
                else:
                    held[msg.partition()] = msg.offset()
    finally:
        consumer.close()
