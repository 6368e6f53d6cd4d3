"""The answer against its engine (bench/answer.py): the per-category table of records and
distinct hotels computed from an enriched topic by kstream-stats --job.drain and by
ksql/stay_counts.sql's two-level aggregation as a Kafka Streams topology
(bench/kafka-streams, StayCountsApp, exactly_once_v2). Time to the final table: kstream-stats
exits when it has read everything; for Kafka Streams the harness reads its output topic
(read_committed) until the latest rows sum to every input record (the level-2 table counts a
record only once its level-1 row has come through, so that sum is reached once, at the end).
Both final tables are checked against the manifest (checks.check_table)."""
import json
import os
import subprocess
import time

from confluent_kafka import Consumer, TopicPartition

from kbench.checks import check_table
from kbench.common import ROOT, log
from kbench.contenders import KS_DIR, ks_props
from kbench.processes import Meter, reap, stop

AGG_CONTENDERS = ("kstream-stats", "kafka-streams-agg", "kafka-streams-agg-2t")


class TableReader:
    """The latest row per category of a table's output topic (key = category, JSON value)."""

    def __init__(self, bootstrap, topic, partitions):
        self.c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-answer", "enable.auto.commit": False,
                           "isolation.level": "read_committed", "fetch.wait.max.ms": 50})
        self.c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        self.rows = {}

    def poll(self):
        for m in self.c.consume(10000, 0.1):
            if not m.error() and m.value():
                row = json.loads(m.value())
                self.rows[row["stay_category"]] = (row["records"], row["distinct_hotels"])
        return self.rows

    def close(self):
        self.c.close()


def command(name, args, inp, out, run_id, manifest):
    if name == "kstream-stats":
        return [os.path.join(args.build_dir, "app/kstream-stats"), f"--config-file={ROOT}/app/kstream-stats.ini",
                f'--kafka.bootstrap-servers="{args.bootstrap}"', f'--kafka.group-id="answer-{run_id}"',
                f'--kafka.input-topic="{inp}"', f'--kafka.stats-topic="{out}"', '--kafka.state-topic=""',
                "--job.drain=true", "--http.port=0", '--view.terminal="plain"', f"--expect-manifest={manifest}"]
    threads = "2" if name.endswith("-2t") else "1"
    return ["java", *os.environ.get("BENCH_JAVA_OPTS", "").split(), "-cp", f"{KS_DIR}/target/*:{KS_DIR}/target/lib/*",
            "kstreamapp.bench.StayCountsApp", f"--bootstrap={args.bootstrap}", f"--input={inp}",
            f"--level1={out}_level1", f"--output={out}", f"--app-id={out}", f"--commit-ms={args.commit_ms}",
            f"--threads={threads}", *(f"--config={kv}" for kv in ks_props())]


def settings(name, args):
    if name == "kstream-stats":
        return ["--job.drain=true --expect-manifest (exit 1 on any difference)", "kafka.state-topic=\"\" (no checkpoints)",
                "otherwise app/kstream-stats.ini"]
    return ["processing.guarantee=exactly_once_v2", f"commit.interval.ms={args.commit_ms} (default 100)",
            f"num.stream.threads={'2' if name.endswith('-2t') else '1'}", "RocksDB stores, record cache 10 MB (defaults)"] \
        + ks_props()


def run_one(name, args, kafka, data, run_id, logdir):
    """One contender's run: time to the final table, CPU, peak RSS, the table's check."""
    inp, manifest = data["topic"], data["manifest_path"]
    out = f"answer_{name.replace('-', '_')}_{run_id}"
    parts = len(data["end_offsets"])
    kafka.create(out, partitions=1 if name == "kstream-stats" else parts)
    if name != "kstream-stats":
        kafka.create(f"{out}_level1", partitions=parts)
    logfile = os.path.join(logdir, f"{name}-{run_id}.log")
    n = data["records"]
    timeout = 300 + n / 2000
    res = {"name": name, "records": n, "log": os.path.relpath(logfile, ROOT)}
    with open(logfile, "ab") as lf:
        t0 = time.monotonic()
        proc = subprocess.Popen(command(name, args, inp, out, run_id, manifest), stdout=lf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
    meter = Meter(proc.pid)
    meter.start()
    reader = TableReader(args.bootstrap, out, 1 if name == "kstream-stats" else parts)
    ru = None
    try:
        if name == "kstream-stats":
            status, ru = reap(proc, timeout)
            t_done = time.monotonic()
            if status is None:
                res["error"] = f"not done within {timeout:.0f} s"
                stop(proc)
            elif status != 0:
                res["error"] = f"exited {status} (its table is not the manifest's, or it failed: {res['log']})"
            cpu = ru.ru_utime + ru.ru_stime if ru else meter.cpu
        else:
            t_done = None
            while time.monotonic() - t0 < timeout:
                if proc.poll() is not None:
                    res["error"] = f"exited early with status {proc.returncode}"
                    break
                if sum(r for r, _ in reader.poll().values()) >= n:
                    t_done = time.monotonic()
                    break
            cpu = meter.cpu
            if t_done is None:
                t_done = time.monotonic()
                res.setdefault("error", f"the table did not reach {n} records within {timeout:.0f} s")
            stop(proc)
    finally:
        meter.stop()
    deadline = time.monotonic() + 30  # kstream-stats' last changelog rows: read them all
    while name == "kstream-stats" and time.monotonic() < deadline and \
            sum(r for r, _ in reader.poll().values()) < n:
        pass
    table = reader.poll()
    reader.close()
    res.update({"wall_s": round(t_done - t0, 2), "records_per_s": round(n / (t_done - t0)),
                "cpu_s": round(cpu, 2), "cpu_us_per_record": round(cpu * 1e6 / n, 2),
                "peak_rss_mb": round(meter.peak_rss / 2**20, 1)})
    res["check"] = check_table(table, data["manifest"])
    res["ok"] = "error" not in res and res["check"]["ok"]
    kafka.delete(out, f"{out}_level1", *(f"{out}-{t}" for t in (
        "level1-by-category-hotel-repartition", "level2-by-category-repartition", "level1-counts-changelog",
        "level2-counts-changelog")))
    log(f"{name}: {res['wall_s']} s, {res['records_per_s']} rec/s, cpu {res['cpu_s']} s, "
        f"rss {res['peak_rss_mb']} MB: {'OK' if res['ok'] else 'FAILED ' + res.get('error', '') + res['check']['detail']}")
    return res


def ensure_enriched(kafka, args, data, logdir):
    """The job's output for the data set's input topic, made once with kstream-app --job.drain and
    kept (topic answer_ext_<records>; a marker file records which input it came from)."""
    topic = f"answer_ext_{data['records']}"
    marker = os.path.join(os.path.dirname(data["manifest_path"]), f"{topic}.done")
    stamp = json.dumps({"input": data["topic"], "ends": data["end_offsets"]})
    if topic in kafka.topics() and os.path.isfile(marker) and open(marker).read() == stamp:
        log(f"reusing {topic}")
        return topic
    kafka.recreate(topic, partitions=len(data["end_offsets"]))
    kafka.create(f"{topic}_dlq")
    log(f"making {topic}: kstream-app --job.drain over {data['topic']}")
    with open(os.path.join(logdir, "enrich.log"), "ab") as lf:
        subprocess.run([os.path.join(args.build_dir, "app/kstream-app"), f"--config-file={ROOT}/app/caf-application.ini",
                        f'--kafka.bootstrap-servers="{args.bootstrap}"', f'--kafka.group-id="{topic}-{time.time_ns()}"',
                        f'--kafka.input-topic="{data["topic"]}"', f'--kafka.output-topic="{topic}"',
                        f'--kafka.dlq-topic="{topic}_dlq"', "--job.drain=true", "--http.port=0"],
                       stdout=lf, stderr=subprocess.STDOUT, check=True, cwd=ROOT)
    with open(marker, "w") as f:
        f.write(stamp)
    return topic
