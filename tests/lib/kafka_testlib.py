"""Helpers for the integration tests: the local broker, test topics, records with known
answers, the job as a subprocess, and reading topics back (read_committed)."""
import json
import os
import random
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from datetime import date, timedelta
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from committed_reader import read_to_end  # noqa: E402  (tests/lib)
from stay_rules import CATEGORIES, category, stay_days  # noqa: F401  (the shared oracle, re-exported)

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = os.environ.get("KSTREAM_BOOTSTRAP", "127.0.0.1:9092")
BUILD_DIR = Path(os.environ.get("KSTREAM_BUILD_DIR", ROOT / "build"))
APP = BUILD_DIR / "app" / "kstream-app"



def ensure_broker():
    """Starts the local broker through the project's script; a failure fails the test."""
    result = subprocess.run(["bash", str(ROOT / "scripts" / "local-kafka.sh"), "start"],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"the local Kafka broker could not be started:\n{result.stdout}\n{result.stderr}")


def create_topics(prefix, partitions=3, names=("in", "out", "dlq"), configs=None, bootstrap=BOOTSTRAP, client=None):
    """Fresh topics for one test: {name: topic}; `configs` = {name: {config: value}};
    `client`: librdkafka properties of a secured broker (they win over `bootstrap`)."""
    run = f"{prefix}_{uuid.uuid4().hex[:8]}"
    topics = {name: f"{run}_{name}" for name in names}
    admin = AdminClient({"bootstrap.servers": bootstrap, **(client or {})})
    futures = admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=1,
                                            config=(configs or {}).get(name, {}))
                                   for name, t in topics.items()], operation_timeout=30)
    for fut in futures.values():
        fut.result()
    # A created topic reaches every listener's metadata a moment later; a job started before
    # that would (rightly) refuse the "missing" topic.
    deadline = time.monotonic() + 30
    while True:
        metadata = admin.list_topics(timeout=10).topics
        if all(t in metadata and len(metadata[t].partitions) == partitions for t in topics.values()):
            return topics
        if time.monotonic() > deadline:
            raise RuntimeError(f"topics {sorted(topics.values())} not in the broker's metadata 30 s after creation")
        time.sleep(0.1)


# --- records with a known answer ------------------------------------------------------------

TRICKY_DATES = [(None, "2017-08-22"), ("2017-08-22", None), ("", "2017-08-22"), ("2017-02-30", "2017-03-02"),
                ("2017-13-01", "2017-13-05"), ("2017-8-2", "2017-8-5"), ("2017-08-22", "2017-08-22"),
                ("2017-08-25", "2017-08-22"), ("tomorrow", "2017-08-22"), ("2016-02-28", "2016-03-01"),
                ("2017-12-30", "2018-01-03"), ("2017-08-22 00:00:00", "2017-08-27"), (20170822, "2017-08-25")]


def make_record(i, rng):
    """One Expedia-like record as JSON text, in the schema's field order, with tricky values."""
    if i % 97 == 0:
        ci, co = TRICKY_DATES[(i // 97) % len(TRICKY_DATES)]
    else:
        start = date(2017, 1, 1) + timedelta(days=rng.randrange(0, 700))
        ci = start.isoformat()
        co = (start + timedelta(days=rng.choice([1, 2, 3, 4, 5, 7, 10, 11, 14, 15, 30]))).isoformat()
    fields = [
        ("id", i), ("date_time", f"2016-0{1 + i % 9}-1{i % 10} 1{i % 10}:2{i % 10}:3{i % 10}"),
        ("site_name", 2 + i % 30), ("posa_container", None if i % 5 == 0 else i % 4),
        ("user_location_country", 66), ("user_location_region", 467), ("user_location_city", 36345 + i),
        ("orig_destination_distance", None if i % 3 == 0 else round(rng.uniform(0.5, 9000), 4)),
        ("user_id", 50 + i), ("is_mobile", i % 2), ("is_package", 0), ("channel", i % 10),
        ("srch_ci", ci), ("srch_co", co), ("srch_adults_cnt", 2), ("srch_children_cnt", 0), ("srch_rm_cnt", 1),
        ("srch_destination_id", 11812), ("srch_destination_type_id", 1),
        ("hotel_id", None if i % 211 == 0 else 970662608899 + (i % 2500) * 1000003),
    ]
    text = json.dumps(dict(fields), separators=(",", ":"), ensure_ascii=False)
    if i % 101 == 0:  # byte-exact preservation of forms a re-serializer would change
        text = text[:-1] + ',"pi":3.14159265358979323846,"exp":1.0E2,"name":"Z\\u00fcrich \u2603 \\"q\\""}'
    return text, ci, co


def produce_records(topic, count, seed=7, partitions=3, extra=(), client=None):
    """Writes `count` records (+ `extra` raw values) round-robin over the partitions.
    Returns {(partition, value): expected category} and the list of (partition, value).
    `client`: librdkafka properties of a secured broker (they win over the local one)."""
    rng = random.Random(seed)
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 20, "enable.idempotence": True,
                         **(client or {})})
    sent = []
    deadline = time.monotonic() + 120

    def produce(**kwargs):
        # A slow broker fills the client's queue: wait for deliveries to make room (bounded).
        while True:
            try:
                producer.produce(topic, **kwargs)
                return
            except BufferError:
                if time.monotonic() > deadline:
                    raise
                producer.poll(0.1)

    for i in range(count):
        value, ci, co = make_record(i, rng)
        partition = i % partitions
        produce(value=value.encode(), partition=partition, key=None if i % 2 else str(i).encode())
        sent.append((partition, value, ci, co))
        if i % 10000 == 0:
            producer.poll(0)
    for j, raw in enumerate(extra):
        produce(value=raw, partition=j % partitions)
    remaining = producer.flush(60)
    assert remaining == 0, f"{remaining} test records were not delivered to {topic}"
    return sent


def expected_output(value, ci, co):
    days = stay_days(ci, co)
    suffix = ',"stay_duration":' + ("null" if days is None else str(days)) + ',"stay_category":"' + category(days) + '"}'
    return value[:-1] + suffix


def read_topic(topic, committed_only=True, timeout=60, timestamps=False, client=None):
    """Every record of `topic` as (partition, offset, key, value bytes, headers), read to the end;
    with timestamps=True, (partition, offset, key, value bytes, headers, timestamp ms).
    `client`: librdkafka properties of a secured broker (they win over the local one)."""
    config = {"bootstrap.servers": BOOTSTRAP, "group.id": f"reader-{uuid.uuid4().hex}",
              "isolation.level": "read_committed" if committed_only else "read_uncommitted", **(client or {})}
    out = []
    for msg in read_to_end(config, topic, timeout=timeout):
        record = (msg.partition(), msg.offset(), msg.key(), msg.value(), msg.headers() or [])
        out.append(record + (msg.timestamp()[1],) if timestamps else record)
    return out


# --- the job ------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def job_args(topics, group, guarantee="exactly_once", drain=True, http_port=0, extra=()):
    args = [str(APP), f"--kafka.bootstrap-servers={BOOTSTRAP}", f"--kafka.group-id={group}",
            f"--kafka.input-topic={topics['in']}", f"--kafka.output-topic={topics['out']}",
            f"--kafka.dlq-topic={topics['dlq']}", f"--job.guarantee={guarantee}", f"--http.port={http_port}",
            "--log.progress-interval-ms=1000"]
    if drain:
        args.append("--job.drain")
    return args + list(extra)


def start_job(args, log_path):
    assert APP.exists(), f"{APP} is not built (run make build)"
    log = open(log_path, "wb")
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd="/tmp")


def run_job(args, log_path, timeout=300):
    proc = start_job(args, log_path)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"the job did not finish within {timeout}s; log: {log_path}")
    return code


def metrics(port):
    """The job's /metrics as {name{labels}: value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def total(values, prefix):
    return sum(v for k, v in values.items() if k.startswith(prefix))


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def kill_hard(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
