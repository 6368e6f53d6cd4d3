"""Helpers for the fault tests: a broker of their own that they may kill and restart, a live
stream fed while the job runs, instances of the job, and the exactly-once check.

The fault tests kill -9 and restart their broker, so they never use the shared broker on
127.0.0.1:9092: theirs runs on KSTREAM_FAULTS_PORT (19092) with its data in a folder of its
own, started through scripts/local-kafka.sh like every other broker of the project."""
import json
import os
import random
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

PORT = int(os.environ.setdefault("KSTREAM_FAULTS_PORT", "19092"))
DATA_DIR = os.environ.setdefault("KSTREAM_FAULTS_DATA_DIR", f"/tmp/kstream-faults-kafka-{PORT}")
# kafka_testlib reads its bootstrap from KSTREAM_BOOTSTRAP at import: point it at our broker.
os.environ["KSTREAM_BOOTSTRAP"] = f"127.0.0.1:{PORT}"

ROOT = Path(__file__).resolve().parents[2]
import kafka_testlib as kt  # noqa: E402  (tests/lib; after KSTREAM_BOOTSTRAP is set)
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

BOOTSTRAP = kt.BOOTSTRAP
assert BOOTSTRAP.endswith(f":{PORT}") and PORT != 9092, "the fault tests must not use the shared broker"
KAFKA_SCRIPT = ROOT / "scripts" / "local-kafka.sh"
FIGURES = Path(os.environ.get("KSTREAM_BUILD_DIR", ROOT / "build")) / "faults-figures.txt"


def chart_value(key, cast=int):
    """A number the chart's values.yaml sets under `key` (the first such key, at any depth)."""
    values = (ROOT / "charts" / "kstream-app" / "values.yaml").read_text()
    return cast(re.search(rf"^\s+{re.escape(key)}:\s*([0-9.]+)", values, re.M).group(1))


def job_default(option):
    """The job's default of a [job] option (say "transaction-timeout-ms"), as the chart's values
    give it: config_test and deploy.chart keep those equal to the job's own defaults, so a test
    that leans on a default follows it when it changes."""
    return chart_value(option)


# --- our broker ------------------------------------------------------------------------------

def _broker_env():
    return dict(os.environ, KAFKA_PORT=str(PORT), KAFKA_DATA_DIR=DATA_DIR)


def broker_start(timeout=240):
    """Starts (or restarts after a kill) the faults broker; keeps its data. Fails the test when
    it cannot."""
    result = subprocess.run(["bash", str(KAFKA_SCRIPT), "start"], capture_output=True, text=True,
                            timeout=timeout, env=_broker_env())
    if result.returncode != 0:
        raise AssertionError(f"the faults broker on {BOOTSTRAP} could not be started:\n"
                             f"{result.stdout}\n{result.stderr}")


def broker_pid():
    pid = int(Path(DATA_DIR, "kafka.pid").read_text().strip())
    os.kill(pid, 0)
    return pid


def broker_kill():
    """kill -9 of the broker (its data stays: broker_start() brings it back with it)."""
    pid = broker_pid()
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid, 30)


def broker_stop_gracefully(timeout=60):
    pid = broker_pid()
    os.kill(pid, signal.SIGTERM)
    _wait_gone(pid, timeout)


def _wait_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # a child of setsid'd java is not ours to reap; /proc tells whether it is a zombie
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return
        except OSError:
            return
        time.sleep(0.1)
    raise AssertionError(f"broker pid {pid} did not exit within {timeout}s")


def create_topics(prefix, partitions=3, configs=None):
    """Fresh topics in/out/dlq on the faults broker; `configs` = {name: {config: value}}."""
    return kt.create_topics(prefix, partitions, configs=configs, bootstrap=BOOTSTRAP)


# --- the live stream ---------------------------------------------------------------------------

def stream_record(i, rng):
    """One Expedia-like record with a known answer; `i` is unique and appears in the value."""
    if i % 97 == 0:
        ci, co = kt.TRICKY_DATES[(i // 97) % len(kt.TRICKY_DATES)]
    else:
        start = date(2017, 1, 1) + timedelta(days=rng.randrange(0, 700))
        ci = start.isoformat()
        co = (start + timedelta(days=rng.choice([1, 3, 5, 8, 11, 14, 15, 40]))).isoformat()
    value = json.dumps({"id": i, "site_name": 2 + i % 30, "orig_destination_distance": round(rng.uniform(0.5, 9000), 4),
                        "srch_ci": ci, "srch_co": co, "hotel_id": 970662608899 + i % 2500},
                       separators=(",", ":"))
    return value, ci, co


class Feeder:
    """Produces records to `topic` from a thread, `rate` per second, over the partitions in
    turn, until stop(); survives broker outages (librdkafka retries, idempotent)."""

    def __init__(self, topic, partitions, rate=2000, seed=1):
        self.topic, self.partitions, self.rate = topic, partitions, rate
        self.rng = random.Random(seed)
        self.sent = {}  # id -> (partition, value, ci, co)
        self.errors = []
        self.producer = Producer({"bootstrap.servers": BOOTSTRAP, "enable.idempotence": True, "linger.ms": 10,
                                  "message.timeout.ms": 600000})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _delivered(self, err, msg):
        if err is not None:
            self.errors.append(str(err))

    def _run(self):
        i = 0
        started = time.monotonic()
        while not self._stop.is_set():
            due = int((time.monotonic() - started) * self.rate)
            while i < due and not self._stop.is_set():
                value, ci, co = stream_record(i, self.rng)
                partition = i % self.partitions
                try:
                    self.producer.produce(self.topic, value=value.encode(), key=f"k{i}".encode(),
                                          partition=partition, on_delivery=self._delivered)
                except BufferError:
                    self.producer.poll(0.1)
                    continue
                self.sent[i] = (partition, value, ci, co)
                i += 1
            self.producer.poll(0.02)

    def stop(self, timeout=180):
        """Stops producing and waits until everything sent is in the topic (again: no-op)."""
        if self._stop.is_set():
            return len(self.sent)
        self._stop.set()
        self._thread.join(timeout=30)
        remaining = self.producer.flush(timeout)
        assert remaining == 0, f"{remaining} fed records were not delivered to {self.topic}"
        assert not self.errors, f"the feeder's records failed: {self.errors[:5]}"
        return len(self.sent)

    def count(self):
        return len(self.sent)


# --- the job -----------------------------------------------------------------------------------

STARTED = []  # every job process a test started: conftest kills what is left after each test


class Job:
    """One instance of the job as a subprocess, with its HTTP port and log."""

    def __init__(self, topics, group, logs, name, drain=False, transactional_id=None, extra=(), commit_interval_ms=200):
        self.port = kt.free_port()
        extra = list(extra) + [f"--job.commit-interval-ms={commit_interval_ms}"]
        if transactional_id:
            extra.append(f"--kafka.transactional-id={transactional_id}")
        self.args = kt.job_args(topics, group=group, drain=drain, http_port=self.port, extra=extra)
        self.logs, self.name, self.runs, self.proc = logs, name, 0, None
        self.aborted = 0  # transactions aborted, as last seen by run_bounded()

    def start(self):
        self.runs += 1
        self.log_path = self.logs / f"{self.name}-{self.runs}.log"
        self.proc = kt.start_job(self.args, self.log_path)
        STARTED.append(self.proc)
        return self

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def terminate(self, timeout=90):
        """SIGTERM; returns the exit code (fails when it does not exit in time)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"{self.name} did not exit within {timeout}s of SIGTERM; log: {self.log_path}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def metrics(self):
        return kt.metrics(self.port)

    def consumed(self):
        return kt.total(self.metrics(), "kstream_records_consumed_total")

    def assigned(self):
        return kt.total(self.metrics(), "kstream_partitions_assigned")

    def ready(self):
        """True for /readyz 200, False for 503; raises OSError when the job does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as response:
                return response.status == 200
        except urllib.error.HTTPError as err:
            return False if err.code == 503 else _raise(err)

    def log_tail(self, lines=40):
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


ABORT_LOOP = 100  # aborted transactions in one run that only a retry-forever loop explains


def run_bounded(job, timeout):
    """Starts `job` and waits up to `timeout` s; its exit code, or None after killing it when
    it did not finish, or as soon as it has aborted ABORT_LOOP transactions (an abort/rewind
    loop: a correct job makes a repeating failure fatal long before). The caller reports its
    figures, then fails."""
    job.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return job.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass
        try:
            job.aborted = kt.total(job.metrics(), "kstream_transactions_aborted_total")
        except OSError:
            continue
        if job.aborted >= ABORT_LOOP:
            break
    job.proc.kill()
    job.proc.wait(timeout=30)
    return None


def kill_leftovers():
    """SIGCONT (a stopped zombie) and SIGKILL every job process still running."""
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
            proc.wait(timeout=30)


def _raise(err):
    raise err


def wait_for(predicate, timeout, what, job=None):
    """kafka_testlib.wait_for, with the job's last log lines in the failure message, and failing
    at once when that job has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if job is not None and not job.alive():
            raise AssertionError(f"{job.name} exited with {job.proc.returncode} while waiting for {what}:\n"
                                 f"{job.log_tail()}")
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.1)
    tail = f"\n{job.name}'s log ends:\n{job.log_tail()}" if job is not None else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{tail}")


# --- reading back and checking -----------------------------------------------------------------

def committed_count(topic):
    """Records a read_committed consumer sees in `topic` (by reading it; bounded)."""
    return len(kt.read_topic(topic, timeout=120))


def wait_caught_up(topics, expected, timeout, jobs=()):
    """Waits until out + dlq (read_committed) hold at least `expected` records."""
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        seen = committed_count(topics["out"]) + committed_count(topics["dlq"])
        if seen >= expected:
            return seen
        time.sleep(1)
    logs = "".join(f"\n--- {j.name} ---\n{j.log_tail(15)}" for j in jobs if j.proc is not None)
    raise AssertionError(f"the job did not catch up within {timeout}s: {seen} of {expected} records out{logs}")


def scenario(steps):
    """Runs a test's fault scenario; returns None, or the AssertionError it failed with, so
    that the test still reads back the output and prints its figures before failing with it."""
    try:
        steps()
        return None
    except AssertionError as failure:
        return failure


def check_exactly_once(topics, sent, label, started, restarts=0, extra_figures=None, exit_code=0, job=None,
                       failure=None):
    """Every fed record exactly once in out (none of them is a dead letter), with its key and
    timestamp, in its input partition, in input order per partition, byte for byte; prints the
    figures."""
    out = kt.read_topic(topics["out"], timeout=180, timestamps=True)
    dlq = kt.read_topic(topics["dlq"], timeout=180)
    # The input's timestamps (the producer's create times), which the output keeps.
    fed_at = {json.loads(value)["id"]: ts for *_x, value, _h, ts in kt.read_topic(topics["in"], timeout=180,
                                                                                  timestamps=True)}
    seen = {}
    duplicates = 0
    order_breaks = []
    last_by_partition = {}
    wrong = []
    for partition, _offset, key, value, _headers, timestamp in out:
        record_id = json.loads(value)["id"]
        if record_id in seen:
            duplicates += 1
            continue
        seen[record_id] = True
        fed = sent.get(record_id)
        if fed is None:
            wrong.append(f"id {record_id} was never fed")
            continue
        fed_partition, fed_value, ci, co = fed
        if partition != fed_partition or key != f"k{record_id}".encode() \
                or value.decode() != kt.expected_output(fed_value, ci, co) or timestamp != fed_at.get(record_id):
            wrong.append(f"id {record_id}: partition {partition} key {key!r} timestamp {timestamp} "
                         f"(in: {fed_at.get(record_id)}) value {value[:120]!r}")
        # the feeder numbers records in the order it writes them to each partition
        if last_by_partition.get(partition, -1) > record_id:
            order_breaks.append((partition, last_by_partition[partition], record_id))
        last_by_partition[partition] = record_id
    lost = [i for i in sent if i not in seen]
    figures = {"in": len(sent), "out": len(out), "dlq": len(dlq), "duplicates": duplicates, "lost": len(lost),
               "changed": len(wrong), "restarts": restarts, "elapsed_s": round(time.monotonic() - started, 1)}
    figures.update(extra_figures or {})
    figures["scenario"] = "failed" if failure is not None else "completed"
    report(label, figures)
    if failure is not None:
        raise failure
    assert exit_code == 0, (f"the job's final run {'did not finish' if exit_code is None else f'exited {exit_code}'}"
                            + (f"; its log ends:\n{job.log_tail(30)}" if job is not None else ""))
    assert duplicates == 0, f"{duplicates} duplicates in {topics['out']}"
    assert not lost, f"{len(lost)} records lost, e.g. ids {lost[:10]}"
    assert not dlq, f"{len(dlq)} valid records dead-lettered: {[h for *_x, h in dlq[:3]]}"
    assert not wrong, f"{len(wrong)} records changed: {wrong[:5]}"
    assert not order_breaks, f"per-partition order broken: {order_breaks[:5]}"
    assert len(out) == len(sent)
    return figures


def report(label, figures):
    line = f"FIGURES {label}: " + " ".join(f"{k}={v}" for k, v in figures.items())
    print(line, flush=True)
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with open(FIGURES, "a") as f:
        f.write(time.strftime("%Y-%m-%dT%H:%M:%SZ ", time.gmtime()) + line + "\n")


# --- stalling one instance's output: a client quota on its client.id (issue 24) -------------------
# On Kafka 3.9 a min.insync.replicas above the replication factor does not stall a producer;
# a producer byte-rate quota does: the broker delays its produce responses.

def _kafka_libs():
    cache = Path(os.environ.get("KSTREAM_CACHE", Path.home() / ".cache" / "kstream-app"))
    pom = (ROOT / "scripts" / "kafka" / "pom.xml").read_text()
    version = pom.split("<kafka.version>", 1)[1].split("</kafka.version>", 1)[0]
    return cache / f"kafka-{version}" / "libs"


def set_producer_quota(client_id, bytes_per_second):
    """Sets a producer byte-rate quota on `client_id` (None: removes it) with Kafka's own
    kafka-configs tool; fails the test when the tool fails."""
    change = (["--add-config", f"producer_byte_rate={bytes_per_second}"] if bytes_per_second
              else ["--delete-config", "producer_byte_rate"])
    result = subprocess.run(["java", "-cp", f"{_kafka_libs()}/*", "kafka.admin.ConfigCommand",
                             "--bootstrap-server", BOOTSTRAP, "--alter", *change,
                             "--entity-type", "clients", "--entity-name", client_id],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0 and bytes_per_second is None and "Invalid config(s)" in result.stdout + result.stderr:
        return  # there was none to remove
    assert result.returncode == 0, f"kafka-configs could not change the quota of {client_id}:\n{result.stderr}"


def rdkafka_properties(**properties):
    """The job's --kafka.properties option for librdkafka properties (name_with_underscores=value)."""
    items = ",".join(f'"{name.replace("_", ".")}={value}"' for name, value in properties.items())
    return f"--kafka.properties=[{items}]"


def transactions(job, required=True):
    """(committed, aborted) transactions of a finished job, from its last "done:" log line (the
    metrics are sampled and miss the end of a short run). Without that line: a failed assertion,
    or None when not `required` (a run that did not get that far)."""
    found = re.findall(r"transactions committed (\d+) aborted (\d+)", job.log_path.read_text(errors="replace"))
    if not found and not required:
        return None
    assert found, f"{job.name}'s log has no final line with its transactions:\n{job.log_tail()}"
    committed, aborted = found[-1]
    return int(committed), int(aborted)
