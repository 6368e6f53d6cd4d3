"""N records in, exactly N out, enriched, byte for byte, in order; bad values in the DLQ."""
import random
import signal
import subprocess
import threading
import time
from collections import defaultdict

import pytest
from confluent_kafka import Producer

from kafka_testlib import (BOOTSTRAP, BUILD_DIR, create_topics, expected_output, job_args, make_record, produce_records,
                           read_topic, run_job, start_job)

# Each malformed value and the kstream.error.code it must reach the DLQ with.
MALFORMED_CODES = {b"not json": "not_json", b"[1,2,3]": "not_an_object", b"": "not_json",
                   b'{"unterminated": ': "not_json", b'"a string"': "not_an_object", b"\xff\xfe binary": "not_json"}
MALFORMED = list(MALFORMED_CODES)


@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
def test_every_record_enriched_once_in_order(guarantee, logs):
    topics = create_topics(f"enrich_{guarantee}")
    sent = produce_records(topics["in"], 30000, extra=MALFORMED)
    code = run_job(job_args(topics, group=f"g-{topics['in']}", guarantee=guarantee), logs / "job.log")
    assert code == 0, (logs / "job.log").read_text()

    out = read_topic(topics["out"])
    dlq = read_topic(topics["dlq"])
    # nothing lost, nothing added: records in = records out + dead letters
    assert len(out) == len(sent)
    assert len(dlq) == len(MALFORMED)

    by_partition = defaultdict(list)
    for partition, _offset, key, value, _headers in out:
        by_partition[partition].append((key, value.decode()))
    expected = defaultdict(list)
    for i, (partition, value, ci, co) in enumerate(sent):
        expected[partition].append((None if i % 2 else str(i).encode(), expected_output(value, ci, co)))
    for partition in expected:
        # same partition as the input, same order, same key, every original byte kept
        assert by_partition[partition] == expected[partition], f"partition {partition} differs"

    letters = sorted((headers_dict(h)["kstream.source.offset"], v, headers_dict(h)) for _, _, _, v, h in dlq)
    assert sorted(v for _, v, _ in letters) == sorted(MALFORMED)
    for _offset, value, headers in letters:
        assert headers["kstream.source.topic"] == topics["in"]
        assert headers["kstream.error.code"] == MALFORMED_CODES[value]
        assert headers["kstream.error.reason"]  # the prose beside the code
        assert int(headers["kstream.source.partition"]) in (0, 1, 2)


def test_categories_match_the_reference(logs):
    topics = create_topics("categories")
    sent = produce_records(topics["in"], 5000, seed=11)
    assert run_job(job_args(topics, group=f"g-{topics['in']}"), logs / "job.log") == 0
    import json
    from kafka_testlib import category, stay_days
    expected = defaultdict(int)
    for _p, _v, ci, co in sent:
        expected[category(stay_days(ci, co))] += 1
    seen = defaultdict(int)
    for _p, _o, _k, value, _h in read_topic(topics["out"]):
        record = json.loads(value)
        seen[record["stay_category"]] += 1
        if record["stay_duration"] is None:
            assert record["stay_category"] == "Erroneous data"
    assert dict(seen) == dict(expected)
    assert len(expected) == 5  # the data exercises every category


def headers_dict(headers):
    return {k: v.decode() for k, v in headers}


def test_a_drain_waits_for_a_transaction_open_at_the_inputs_end(logs):
    """A read_committed consumer meets a partition's end at its last stable offset, which a
    transaction still open holds back (and a commit, for the moment until the broker has written
    its markers). A drain that stopped there would leave the transaction's records behind although
    they were written before the job started: the job waits for the transaction to end. Here 150
    records in two transactions, the second committed 5 s after the job started: 150 out."""
    topics = create_topics("drain_txn")
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "transactional.id": f"drain-{topics['in']}"})
    producer.init_transactions()
    rng = random.Random(5)
    for first, count in ((0, 100), (100, 50)):
        producer.begin_transaction()
        for i in range(first, first + count):
            producer.produce(topics["in"], value=make_record(i, rng)[0].encode(), partition=i % 3)
        assert producer.flush(30) == 0
        if first == 0:
            producer.commit_transaction()
    job = start_job(job_args(topics, group=f"g-{topics['in']}"), logs / "job.log")
    commit = threading.Timer(5.0, producer.commit_transaction)
    commit.start()
    try:
        code = job.wait(timeout=120)
    finally:
        commit.join()
        if job.poll() is None:
            job.kill()
    assert code == 0, (logs / "job.log").read_text()
    assert len(read_topic(topics["out"])) + len(read_topic(topics["dlq"])) == 150, (logs / "job.log").read_text()


def test_a_live_view_is_caught_up_while_a_transaction_is_open(logs, tmp_path):
    """The other side of the drain's wait: a live kstream-stats has caught up (and publishes its
    table to the changelog) once it has read everything committed, even while a writer keeps a
    transaction open, as a running job always does. 10 committed records and 5 in a transaction
    left open: the changelog gets the table of 10 within 30 s."""
    topics = create_topics("live_txn", names=("in", "changelog"))
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "transactional.id": f"live-{topics['in']}"})
    producer.init_transactions()
    for count, commit in ((10, True), (5, False)):
        producer.begin_transaction()
        for i in range(count):
            producer.produce(topics["in"], value=b'{"hotel_id": %d, "stay_category": "Short stay"}' % i, partition=i % 3)
        assert producer.flush(30) == 0
        if commit:
            producer.commit_transaction()
    stats = subprocess.Popen([str(BUILD_DIR / "app" / "kstream-stats"), f"--kafka.bootstrap-servers={BOOTSTRAP}",
                              f"--kafka.input-topic={topics['in']}", f"--kafka.stats-topic={topics['changelog']}",
                              '--kafka.state-topic=""', "--job.publish-interval-ms=200", "--http.port=0",
                              "--view.terminal=plain"], stdout=open(logs / "stats.log", "wb"), stderr=subprocess.STDOUT,
                             cwd=tmp_path)
    try:
        deadline, published = time.monotonic() + 30, []
        while not published and time.monotonic() < deadline:
            time.sleep(0.5)
            published = read_topic(topics["changelog"])
        assert published, "no table published in 30 s: " + (logs / "stats.log").read_text()[-2000:]
        assert b'"records":10' in published[-1][3].replace(b" ", b""), published[-1][3]
    finally:
        stats.send_signal(signal.SIGTERM)
        stats.wait(timeout=60)
        producer.abort_transaction()
