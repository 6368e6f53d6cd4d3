#!/usr/bin/python3
"""kstream-app benchmarks (issue 5): the limit, the job and its peers on one data set.

For every contender, in turn, on the local broker:
  throughput  read the whole input topic, write its own output topic; wall time from start
              to all output committed, records/s, CPU seconds and peak RSS of the process tree;
              then the output is read back (read_committed) and checked against the manifest:
              total, per-category records and distinct hotels, per-partition counts where the
              contender keeps partitions; with --deep (default for small sets) every record is
              compared field by field with its input and with bench/contract.py.
  latency     a fresh input topic fed at a fixed rate while the contender runs, each record
              carrying its produce time (microseconds since the epoch) in "id"; a read_committed
              consumer of the output measures now - id; p50 / p99.
Writes a markdown report, a JSON file and a PNG chart (gnuplot) to --out.

  bench.py [--records N] [--contenders a,b,...] [--no-latency] [--out DIR] [--smoke]
  bench.py --list                       the contenders and whether each can run here
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition, KafkaError
from confluent_kafka.admin import AdminClient, NewTopic

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
# The real data set (the Expedia sample); the targets are set on it.
FULL_SET_RECORDS = 2_189_130
sys.path.insert(0, BENCH)
import contract  # noqa: E402

CACHE = os.environ.get("KSTREAM_CACHE", os.path.expanduser("~/.cache/kstream-app"))
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- contenders
class Ctx:
    """What a contender's command line needs."""

    def __init__(self, args):
        self.bootstrap = args.bootstrap
        self.commit_ms = args.commit_ms
        self.build_dir = args.build_dir
        self.runtmp = None  # per-run scratch directory
        self.partitions = 3  # of the input topic (set from the data set)

    def binary(self, *candidates):
        for c in candidates:
            p = os.path.join(ROOT, c) if not os.path.isabs(c) else c
            if os.path.isfile(p) and os.access(p, os.X_OK):
                return p
        return None

    def passthrough(self):
        return self.binary(os.environ.get("BENCH_PASSTHROUGH_BIN", "/nonexistent"),
                           os.path.join(self.build_dir, "bench/passthrough/bench-passthrough"),
                           "build/bench/passthrough/bench-passthrough", "build-bench/passthrough/bench-passthrough")

    def micro(self):
        return self.binary(os.path.join(self.build_dir, "bench/micro/bench-micro"),
                           "build/bench/micro/bench-micro", "build-bench/bench/micro/bench-micro")

    def kstream_app(self):
        return self.binary(os.environ.get("KSTREAM_APP_BIN", "/nonexistent"),
                           os.path.join(self.build_dir, "app/kstream-app"), "build/app/kstream-app",
                           os.path.join(self.build_dir, "kstream-app"), "build/kstream-app")


class Contender:
    """One row of the report. kind "exit": the process drains and exits by itself once all is
    committed; kind "group": the harness watches the consumer group's committed offsets reach
    the end of the input and then stops the process (SIGTERM)."""

    def __init__(self, name, label, guarantee, kind, command, available, keeps_partition=True,
                 limit=False, passthrough=False, extra_topics=(), extra_fields=(), settings=None, env=None,
                 variant_of=None):
        self.name, self.label, self.guarantee, self.kind = name, label, guarantee, kind
        self.command, self.available = command, available
        self.keeps_partition, self.limit, self.passthrough = keeps_partition, limit, passthrough
        self.extra_topics, self.extra_fields = extra_topics, extra_fields
        # settings(ctx) -> every setting that differs from the contender's defaults, as text
        # (the report lists them: a peer is only fairly compared when its tuning is visible)
        self.settings = settings or (lambda ctx: [])
        self.env = dict(env or {})  # extra environment of the contender's process
        # the same contender with another setting (Kafka Streams with 2 threads): the report
        # rates the faster of a contender and its variants; --smoke leaves variants out
        self.variant_of = variant_of


def kcat_pipe(ctx, inp, out, group, drain, extra):
    """One kcat consumer piped into one kcat producer per partition (values only: the
    bench data has null keys). Unbuffered output when not draining (latency runs)."""
    b = ctx.bootstrap
    exit_flag = "-e" if drain else "-u"
    pipes = " & ".join(
        f"kcat -C -b {b} -t {inp} -p {p} -o beginning {exit_flag} -q -f '%s\\n' | kcat -P -b {b} -t {out} -p {p}"
        for p in range(ctx.partitions))
    return ["bash", "-c", f"{pipes} & wait"], {}, None


def passthrough_cmd(mode):
    def cmd(ctx, inp, out, group, drain, extra):
        argv = [ctx.passthrough(), f"--bootstrap={ctx.bootstrap}", f"--input={inp}", f"--output={out}",
                f"--group={group}", f"--mode={mode}", f"--commit-ms={ctx.commit_ms}"]
        return argv + (["--drain"] if drain else []), {}, None
    return cmd


def kstream_app_cmd(guarantee):
    def cmd(ctx, inp, out, group, drain, extra):
        return [ctx.kstream_app(), f'--kafka.bootstrap-servers="{ctx.bootstrap}"', f'--kafka.group-id="{group}"',
                f'--kafka.input-topic="{inp}"', f'--kafka.output-topic="{out}"',
                f'--kafka.dlq-topic="{out}_dlq"', f'--kafka.transactional-id="{group}-tx"',
                f'--job.guarantee="{guarantee}"', f"--job.commit-interval-ms={ctx.commit_ms}",
                f"--job.drain={'true' if drain else 'false'}", "--http.port=0",
                *os.environ.get("BENCH_KSTREAM_APP_ARGS", "").split()], {}, ROOT
    return cmd


def kstream_app_settings(ctx):
    extra = os.environ.get("BENCH_KSTREAM_APP_ARGS", "").split()
    env = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("KSTREAM_RDKAFKA_")]
    return ([f"job.commit-interval-ms={ctx.commit_ms} (default 1000)", "job.drain=true (exit when done)",
             "http.port=0"] + extra + env + ["otherwise the job's defaults (app/caf-application.ini)"])


KS_DIR = os.path.join(BENCH, "kafka-streams")
# Kafka Streams tuned for throughput as the Kafka / Confluent documentation advises for producers
# ("Optimize for throughput": batch.size 100,000-200,000, linger.ms 10-100, compression lz4; acks
# stays all, which exactly_once_v2 requires and kstream-app uses too). BENCH_KS_PROPS replaces the
# set (space-separated NAME=VALUE, StreamsConfig names); BENCH_KS_PROPS="" runs Kafka Streams' defaults.
KS_TUNED = "producer.batch.size=131072 producer.linger.ms=100 producer.compression.type=lz4"


def ks_props():
    return os.environ.get("BENCH_KS_PROPS", KS_TUNED).split()


def kafka_streams_cmd(guarantee, threads=None):
    def cmd(ctx, inp, out, group, drain, extra):
        cp = f"{KS_DIR}/target/*:{KS_DIR}/target/lib/*"
        return ["java", *os.environ.get("BENCH_JAVA_OPTS", "").split(), "-cp", cp, "kstreamapp.bench.EnrichApp",
                f"--bootstrap={ctx.bootstrap}", f"--input={inp}", f"--output={out}", f"--app-id={group}",
                f"--guarantee={guarantee}", f"--commit-ms={ctx.commit_ms}",
                f"--threads={threads or os.environ.get('BENCH_KS_THREADS', '1')}",
                *(f"--config={kv}" for kv in ks_props())], {}, None
    return cmd


def kafka_streams_settings(guarantee, threads=None):
    def settings(ctx):
        default_commit = 100 if guarantee == "exactly_once_v2" else 30000
        return ([f"processing.guarantee={guarantee}",
                 f"commit.interval.ms={ctx.commit_ms} (default {default_commit})",
                 f"num.stream.threads={threads or os.environ.get('BENCH_KS_THREADS', '1')} (default 1)",
                 "consumer auto.offset.reset=earliest (Streams' default too)"]
                + [kv + {"producer.batch.size": " (default 16384)",
                                              "producer.linger.ms": " (Streams' default 100; plain producer 0)",
                                              "producer.compression.type": " (default none)"}.get(kv.split("=")[0], "")
                   for kv in ks_props()]
                + [f"JVM: {os.environ['BENCH_JAVA_OPTS']}" if os.environ.get("BENCH_JAVA_OPTS")
                   else "JVM defaults (heap 1/4 of RAM)"])
    return settings


FAUST_VENV = os.path.join(CACHE, "venv-faust")
# faust-streaming's throughput settings (its "Configuration Reference"), set by bench/faust/agent.py
# from BENCH_FAUST_* variables; BENCH_FAUST_TUNED=0 runs its defaults. The agent itself stays the seed's.
FAUST_TUNED = {"BENCH_FAUST_PRODUCER_LINGER_MS": "100", "BENCH_FAUST_PRODUCER_MAX_BATCH_SIZE": "131072",
               "BENCH_FAUST_MAX_POLL_RECORDS": "5000", "BENCH_FAUST_STREAM_BUFFER_MAXSIZE": "16384"}
FAUST_DEFAULTS = {"BENCH_FAUST_PRODUCER_LINGER_MS": "0", "BENCH_FAUST_PRODUCER_MAX_BATCH_SIZE": "16384",
                  "BENCH_FAUST_MAX_POLL_RECORDS": "none: no limit",
                  "BENCH_FAUST_STREAM_BUFFER_MAXSIZE": "4096"}


def faust_tuning():
    return FAUST_TUNED if os.environ.get("BENCH_FAUST_TUNED", "1") != "0" else {}


_faust_modules = {}


def faust_has(module):
    """Whether the faust venv has `module` (uvloop, orjson: bench/faust/requirements.txt; a venv
    made from an older requirements file lacks them, and the report then says so)."""
    if module not in _faust_modules:
        py = os.path.join(FAUST_VENV, "bin/python")
        _faust_modules[module] = os.path.isfile(py) and subprocess.run(
            [py, "-c", f"import {module}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    return _faust_modules[module]


def faust_cmd(ctx, inp, out, group, drain, extra):
    env = {"BENCH_BOOTSTRAP": ctx.bootstrap, "BENCH_APP_ID": group, "BENCH_INPUT": inp, "BENCH_OUTPUT": out,
           "BENCH_FAUST_TEST_TOPIC": extra[0] if extra else "", "BENCH_COMMIT_MS": str(ctx.commit_ms),
           "BENCH_FAUST_DATADIR": os.path.join(ctx.runtmp, group + "-data"), **faust_tuning()}
    loop = ["-L", "uvloop"] if faust_tuning() and faust_has("uvloop") else []
    return [os.path.join(FAUST_VENV, "bin/faust"), *loop, "-A", "agent", "worker", "--without-web", "-l", "warn"], \
        env, os.path.join(BENCH, "faust")


def faust_settings(ctx):
    names = {"BENCH_FAUST_PRODUCER_LINGER_MS": "producer_linger_ms",
             "BENCH_FAUST_PRODUCER_MAX_BATCH_SIZE": "producer_max_batch_size",
             "BENCH_FAUST_MAX_POLL_RECORDS": "broker_max_poll_records",
             "BENCH_FAUST_STREAM_BUFFER_MAXSIZE": "stream_buffer_maxsize"}
    return ([f"broker_commit_interval={ctx.commit_ms / 1000:g} s (default 2.8 s)",
             "datadir: per run", "worker --without-web -l warn (no web server, fewer logs)"]
            + [f"{names[k]}={v} (default {FAUST_DEFAULTS[k]})" for k, v in faust_tuning().items()]
            + ((["faust -L uvloop (default: asyncio's loop)"] if faust_has("uvloop") else
                ["uvloop NOT installed in the venv: asyncio's loop"])
               + (["orjson installed: faust's JSON codec uses it (default: the standard json module)"]
                  if faust_has("orjson") else ["orjson NOT installed: the standard json module"])
               if faust_tuning() else []))


def why_not(ok, reason):
    return None if ok else reason


def ks_built(c):
    return why_not(os.path.isfile(f"{KS_DIR}/target/bench-kafka-streams-1.jar"),
                   "bench/kafka-streams not built (mvn -q package)")


CONTENDERS = [
    Contender("limit-kcat", "limit: kcat piped into kcat", "none", "exit", kcat_pipe,
              lambda c: why_not(shutil.which("kcat"), "kcat not installed"), limit=True, passthrough=True,
              settings=lambda ctx: ["kcat -C -o beginning -e -q -f '%s\\n' | kcat -P, one pipe per partition",
                                    "librdkafka defaults otherwise (no idempotence, no transactions)"]),
    Contender("limit-cpp", "limit: librdkafka C++ passthrough", "at_least_once", "exit",
              passthrough_cmd("alo"), lambda c: why_not(c.passthrough(), "bench-passthrough not built"),
              limit=True, passthrough=True,
              settings=lambda ctx: [f"--commit-ms={ctx.commit_ms}", "see bench/passthrough/passthrough.cpp"]),
    Contender("passthrough-eos", "C++ passthrough, transactions (info)", "exactly_once", "exit",
              passthrough_cmd("eos"), lambda c: why_not(c.passthrough(), "bench-passthrough not built"),
              passthrough=True,
              settings=lambda ctx: [f"--commit-ms={ctx.commit_ms}", "see bench/passthrough/passthrough.cpp"]),
    # The job: one entry per guarantee. It is found at $KSTREAM_APP_BIN or <build>/app/kstream-app.
    Contender("kstream-app-eos", "kstream-app exactly_once", "exactly_once", "exit",
              kstream_app_cmd("exactly_once"), lambda c: why_not(c.kstream_app(), "kstream-app not built"),
              extra_topics=("dlq",), settings=kstream_app_settings),
    Contender("kstream-app-alo", "kstream-app at_least_once", "at_least_once", "exit",
              kstream_app_cmd("at_least_once"), lambda c: why_not(c.kstream_app(), "kstream-app not built"),
              extra_topics=("dlq",), settings=kstream_app_settings),
    Contender("kafka-streams-eos", "Kafka Streams exactly_once_v2", "exactly_once", "group",
              kafka_streams_cmd("exactly_once_v2"), ks_built,
              settings=kafka_streams_settings("exactly_once_v2")),
    Contender("kafka-streams-eos-2t", "Kafka Streams exactly_once_v2, 2 threads", "exactly_once", "group",
              kafka_streams_cmd("exactly_once_v2", threads="2"), ks_built,
              settings=kafka_streams_settings("exactly_once_v2", threads="2"), variant_of="kafka-streams-eos"),
    Contender("kafka-streams-alo", "Kafka Streams at_least_once", "at_least_once", "group",
              kafka_streams_cmd("at_least_once"), ks_built,
              settings=kafka_streams_settings("at_least_once")),
    Contender("kafka-streams-alo-2t", "Kafka Streams at_least_once, 2 threads", "at_least_once", "group",
              kafka_streams_cmd("at_least_once", threads="2"), ks_built,
              settings=kafka_streams_settings("at_least_once", threads="2"), variant_of="kafka-streams-alo"),
    Contender("faust", "faust-streaming (seed agent)", "at_least_once", "group", faust_cmd,
              lambda c: why_not(os.path.isfile(os.path.join(FAUST_VENV, "bin/faust")), f"no faust in {FAUST_VENV}"),
              keeps_partition=False, extra_topics=("test",), extra_fields=("__faust",), settings=faust_settings),
]


# --------------------------------------------------------------------------- Kafka helpers
class Kafka:
    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        self.admin = AdminClient({"bootstrap.servers": bootstrap})

    def topics(self):
        return self.admin.list_topics(timeout=10).topics

    def create(self, *names, partitions=3):
        existing = self.topics()
        new = [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names if n not in existing]
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


# --------------------------------------------------------------------------- process metering
def proc_tree(root):
    """root and all its descendants (pids), from /proc."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rfind(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def tree_usage(root):
    """(rss bytes, cpu seconds incl. waited-for children) summed over the tree."""
    rss = cpu = 0
    for p in proc_tree(root):
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
            with open(f"/proc/{p}/statm") as f:
                rss += int(f.read().split()[1]) * PAGE
        except OSError:
            continue
        fields = st[st.rfind(")") + 2:].split()
        cpu += sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime
    return rss, cpu


class Meter(threading.Thread):
    """Samples the process tree every `period` s: peak RSS, CPU seconds, an RSS time line."""

    def __init__(self, pid, period=0.1):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.peak_rss, self.cpu, self.timeline = 0, 0.0, []
        self.stop_flag = threading.Event()
        self.t0 = time.monotonic()

    def run(self):
        while not self.stop_flag.is_set():
            rss, cpu = tree_usage(self.pid)
            if rss:
                self.peak_rss = max(self.peak_rss, rss)
                self.cpu = max(self.cpu, cpu)
                self.timeline.append((round(time.monotonic() - self.t0, 2), rss))
            self.stop_flag.wait(self.period)

    def stop(self):
        self.stop_flag.set()
        self.join()


def start(contender, ctx, inp, out, group, drain, extra, logfile):
    argv, env, cwd = contender.command(ctx, inp, out, group, drain, extra)
    full_env = dict(os.environ, **contender.env, **env)
    with open(logfile, "ab") as lf:
        lf.write(("$ " + " ".join(argv) + "\n").encode())
        lf.flush()
        proc = subprocess.Popen(argv, env=full_env, cwd=cwd, stdout=lf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return proc


def stop(proc, grace=60):
    """SIGTERM the contender's process group, SIGKILL after `grace` s; returns (status, rusage)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    return reap(proc, grace, kill=True)


def reap(proc, timeout, kill=False):
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, ru
        if time.monotonic() > deadline:
            if not kill:
                return None, None
            os.killpg(proc.pid, signal.SIGKILL)
            kill = False
            deadline = time.monotonic() + 30
        time.sleep(0.05)


# --------------------------------------------------------------------------- throughput run
def throughput(contender, ctx, kafka, data, run_id, args):
    n = data["records"]
    out = f"bench_{contender.name.replace('-', '_')}_{run_id}"
    extra = [f"{out}_{t}" for t in contender.extra_topics]
    group = f"bench-{contender.name}-{run_id}"
    # the output has the input's partition count (the job keeps partitions); the side topics 3
    kafka.create(out, partitions=len(data["end_offsets"]))
    kafka.create(*extra)
    logfile = os.path.join(ctx.runtmp, f"{contender.name}-{run_id}.log")
    ends = data["done_offsets"]
    timeout = args.timeout or (120 + n / 1000)
    partial_after = args.partial.get(contender.name)
    if partial_after and contender.kind == "group":
        timeout = partial_after
    log(f"{contender.name}: start ({n} records, output {out})")
    t0 = time.monotonic()
    proc = start(contender, ctx, data["topic"], out, group, True, extra, logfile)
    meter = Meter(proc.pid)
    meter.start()
    res = {"name": contender.name, "label": contender.label, "guarantee": contender.guarantee,
           "records": n, "log": os.path.relpath(logfile, ROOT)}
    status = ru = None
    committed_at_end = 0
    t_done = None
    try:
        if contender.kind == "exit":
            status, ru = reap(proc, timeout)
            t_done = time.monotonic()
            if status is None:
                res["error"] = f"did not finish within {timeout:.0f} s"
                status, ru = stop(proc)
            elif status != 0:
                res["error"] = f"exited with status {status}"
        else:
            t_done = None
            probe = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": group, "enable.auto.commit": False})
            while time.monotonic() - t0 < timeout:
                if proc.poll() is not None:
                    res["error"] = f"exited early with status {proc.returncode}"
                    break
                committed = kafka.committed(group, data["topic"], len(ends), probe)
                committed_at_end = sum(max(0, c) for c in committed)
                if all(c >= e for c, e in zip(committed, ends)):
                    t_done = time.monotonic()
                    break
                time.sleep(0.2)
            cpu_at_done = meter.cpu
            probe.close()
            if t_done is None:
                t_done = time.monotonic()
                if partial_after and "error" not in res:
                    # a deliberate partial run (--partial): the rate over what was committed
                    res["partial"] = {"records": committed_at_end, "seconds": round(t_done - t0, 1)}
                res.setdefault("error", f"did not commit the whole input within {timeout:.0f} s "
                                        f"({committed_at_end:,} of {n:,} records committed)")
            if proc.returncode is None:
                status, ru = stop(proc)
    finally:
        meter.stop()
    res["wall_s"] = round(t_done - t0, 3)
    done_records = res["partial"]["records"] if "partial" in res else n
    res["records_per_s"] = round(done_records / res["wall_s"]) if res["wall_s"] > 0 else None
    total_cpu = (ru.ru_utime + ru.ru_stime) if ru else meter.cpu
    res["cpu_s"] = round(total_cpu if contender.kind == "exit" else cpu_at_done, 2)
    res["cpu_total_s"] = round(total_cpu, 2)
    res["cpu_us_per_record"] = round(res["cpu_s"] * 1e6 / max(1, done_records), 2)
    res["peak_rss_mb"] = round(meter.peak_rss / 2**20, 1)
    res["maxrss_single_mb"] = round(ru.ru_maxrss / 1024, 1) if ru else None
    if contender.kind == "exit" and "error" not in res and contender.name != "limit-kcat":
        got = kafka.committed(group, data["topic"], len(ends))
        if not all(c >= e for c, e in zip(got, ends)):
            res["error"] = f"exited but committed offsets {got} != input end {ends}"
    log(f"{contender.name}: {res['wall_s']} s, {res['records_per_s']} rec/s, cpu {res['cpu_s']} s, "
        f"rss {res['peak_rss_mb']} MB; checking the output")
    if "partial" in res:
        res["check"] = {"ok": False, "detail": "partial run: output not checked"}
    else:
        res["check"] = check_output(kafka, out, data, contender, args.deep)
    res["ok"] = "error" not in res and res["check"]["ok"]
    if not args.keep_topics:
        kafka.delete(out, *extra, f"{out}_dlq")
    log(f"{contender.name}: {'OK' if res['ok'] else 'FAILED: ' + res.get('error', '') + ' ' + res['check']['detail']}")
    return res


def read_topic(bootstrap, topic, fn, partitions=3):
    """Calls fn(partition, key, value) for every committed record of topic, up to its end now."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-checker", "enable.auto.commit": False,
                  "isolation.level": "read_committed", "enable.partition.eof": True,
                  "fetch.max.bytes": 64 << 20, "max.partition.fetch.bytes": 16 << 20})
    try:
        c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        pending = set(range(partitions))
        idle = time.monotonic()
        while pending:
            msgs = c.consume(10000, 1.0)
            if not msgs and time.monotonic() - idle > 60:
                raise RuntimeError(f"reading {topic}: no progress for 60 s")
            for m in msgs:
                idle = time.monotonic()
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        pending.discard(m.partition())
                        continue
                    raise RuntimeError(f"reading {topic}: {m.error()}")
                fn(m.partition(), m.key(), m.value())
    finally:
        c.close()


CAT_RE = re.compile(rb'"stay_category"\s*:\s*"([^"]*)"')
HOTEL_RE = re.compile(rb'"hotel_id"\s*:\s*(-?\d+|null)')
CI_RE = re.compile(rb'"srch_ci"\s*:\s*(null|"[^"]*"|[^,}]*)')
CO_RE = re.compile(rb'"srch_co"\s*:\s*(null|"[^"]*"|[^,}]*)')
_fast_cache = {}


def field(rx, value):
    """The JSON value of a field as a Python value (strings, null; others as raw text), or None."""
    m = rx.search(value)
    if not m or m.group(1) == b"null":
        return None
    raw = m.group(1)
    return raw[1:-1].decode() if raw.startswith(b'"') else raw.decode()


def fast_category(ci, co):
    key = (ci, co)
    cat = _fast_cache.get(key)
    if cat is None:
        cat = _fast_cache[key] = contract.category(contract.stay_days(ci, co))
    return cat


def check_output(kafka, out, data, contender, deep):
    """The output against the manifest: total, per category (records, distinct hotels),
    per partition; deep: every record against its input and the contract oracle."""
    cats = {c: [0, set()] for c in contract.CATEGORIES}
    per_part = [0] * len(data["end_offsets"])
    problems = []
    inputs = data.get("inputs") if deep else None
    seen_ids = set()

    def problem(msg):
        if len(problems) < 5:
            problems.append(msg)

    def on_record(p, key, value):
        per_part[p] += 1
        if inputs is None:  # the fast path for big sets: three fields by regex, no JSON parse
            if contender.passthrough:
                cat = fast_category(field(CI_RE, value), field(CO_RE, value))
            else:
                m = CAT_RE.search(value)
                cat = m.group(1).decode() if m else None
            if cat not in cats:
                problem(f"no known stay_category in {value[:100]!r}")
                return
            cats[cat][0] += 1
            m = HOTEL_RE.search(value)
            cats[cat][1].add(int(m.group(1)) if m and m.group(1) != b"null" else None)
            return
        try:
            rec = json.loads(value)
        except ValueError:
            problem(f"not JSON: {value[:80]!r}")
            return
        if contender.passthrough:
            _, cat = contract.enrich(rec)
        else:
            cat = rec.get("stay_category")
        if cat not in cats:
            problem(f"unknown stay_category {cat!r}")
            return
        cats[cat][0] += 1
        cats[cat][1].add(rec.get("hotel_id"))
        if inputs is not None:
            rid = rec.get("id")
            src = inputs.get(rid)
            if src is None:
                problem(f"output id {rid} not in the input")
                return
            if rid in seen_ids:
                problem(f"id {rid} written twice")
            seen_ids.add(rid)
            in_part, in_rec = src
            days, want_cat = contract.enrich(in_rec)
            body = {k: v for k, v in rec.items()
                    if k not in ("stay_duration", "stay_category") + tuple(contender.extra_fields)}
            if contender.passthrough:
                body = rec
            elif rec.get("stay_duration", "missing") != days or cat != want_cat:
                problem(f"id {rid}: got {rec.get('stay_duration', 'missing')!r}/{cat!r}, "
                        f"want {days!r}/{want_cat!r} for {in_rec.get('srch_ci')!r}..{in_rec.get('srch_co')!r}")
            if body != in_rec:
                problem(f"id {rid}: fields changed")
            if contender.keeps_partition and p != in_part:
                problem(f"id {rid}: partition {p}, input partition {in_part}")

    read_topic(kafka.bootstrap, out, on_record, partitions=len(per_part))
    want = {c["stay_category"]: (c["records"], c["distinct_hotels"]) for c in data["manifest"]["categories"]}
    got = {c: (v[0], len(v[1])) for c, v in cats.items()}
    for c in contract.CATEGORIES:
        if got[c] != tuple(want.get(c, (0, 0))):
            problems.append(f"{c}: got {got[c][0]} records / {got[c][1]} hotels, manifest {want.get(c)}")
    if sum(per_part) != data["records"]:
        problems.append(f"{sum(per_part)} records written, {data['records']} in the input")
    if contender.keeps_partition and per_part != list(data["manifest"]["per_partition"]):
        problems.append(f"per partition {per_part} != manifest {data['manifest']['per_partition']}")
    return {"ok": not problems, "detail": "; ".join(problems[:6]), "per_partition": per_part,
            "categories": {c: {"records": v[0], "distinct_hotels": v[1]} for c, v in got.items()},
            "deep": inputs is not None}


# --------------------------------------------------------------------------- latency run
ID_RE = re.compile(rb'"id"\s*:\s*(\d+)')


def latency(contender, ctx, kafka, template, run_id, args):
    inp = f"bench_lat_in_{contender.name.replace('-', '_')}_{run_id}"
    out = f"bench_lat_out_{contender.name.replace('-', '_')}_{run_id}"
    extra = [f"{out}_{t}" for t in contender.extra_topics]
    group = f"bench-lat-{contender.name}-{run_id}"
    kafka.create(inp, out, *extra)
    logfile = os.path.join(ctx.runtmp, f"{contender.name}.latency.log")
    rate, seconds = args.lat_rate, args.lat_seconds
    lat_us, seen = [], [0]
    measure_from = [None]
    stop_reading = threading.Event()
    ready = threading.Event()

    def reader():
        c = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": "bench-latency", "enable.auto.commit": False,
                      "isolation.level": "read_committed", "fetch.wait.max.ms": 10})
        c.assign([TopicPartition(out, p, 0) for p in range(3)])
        while not stop_reading.is_set():
            for m in c.consume(1000, 0.05):
                if m.error():
                    continue
                now = time.time_ns() // 1000
                ready.set()
                mm = ID_RE.search(m.value() or b"")
                if mm and measure_from[0] is not None and int(mm.group(1)) >= measure_from[0]:
                    lat_us.append(now - int(mm.group(1)))
                    seen[0] += 1
        c.close()

    prod = Producer({"bootstrap.servers": ctx.bootstrap, "linger.ms": 1, "enable.idempotence": True})

    def send(partition, rid=None):
        rec = dict(template[partition % len(template)])
        rec["id"] = time.time_ns() // 1000 if rid is None else rid
        prod.produce(inp, json.dumps(rec, separators=(",", ":")).encode(), partition=partition % 3)

    res = {"rate": rate, "seconds": seconds}
    proc = start(contender, ctx, inp, out, group, False, extra, logfile)
    th = threading.Thread(target=reader, daemon=True)
    th.start()
    try:
        deadline = time.monotonic() + 180
        i = 0
        while not ready.is_set():  # warm-up: one record every 0.2 s until output appears
            if proc.poll() is not None or time.monotonic() > deadline:
                res["error"] = "no output during warm-up" if proc.returncode is None else \
                    f"exited with status {proc.returncode}"
                return res
            send(i)
            i += 1
            prod.poll(0)
            time.sleep(0.2)
        time.sleep(1.0)
        measure_from[0] = time.time_ns() // 1000
        t0 = time.monotonic()
        sent = 0
        total = int(rate * seconds)
        while sent < total:
            due = min(total, int((time.monotonic() - t0) * rate) + 1)
            while sent < due:
                send(sent)
                sent += 1
            prod.poll(0)
            time.sleep(0.002)
        prod.flush(30)
        deadline = time.monotonic() + 60
        i = 0
        while seen[0] < total and time.monotonic() < deadline:
            # unmeasured trailing records (id 1) push out anything a contender holds back
            # until more input arrives (kcat -P keeps the last line of its stdin buffer)
            send(i, rid=1)
            i += 1
            prod.poll(0)
            time.sleep(0.1)
        if seen[0] < total:
            res["error"] = f"only {seen[0]} of {total} records came out within 60 s"
    finally:
        # the last unmeasured push record may still be queued: deliver it rather than have
        # librdkafka warn about a message dropped at exit
        prod.flush(5)
        stop_reading.set()
        th.join()
        stop(proc)
        if not args.keep_topics:
            kafka.delete(inp, out, *extra, f"{out}_dlq")
    xs = sorted(lat_us)
    if xs:
        res.update({"records": len(xs), "p50_ms": round(xs[len(xs) // 2] / 1000, 1),
                    "p99_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.99))] / 1000, 1),
                    "max_ms": round(xs[-1] / 1000, 1)})
    log(f"{contender.name}: latency {res}")
    return res


# --------------------------------------------------------------------------- micro-benchmark
def micro(ctx):
    """CPU ns per record of the job's domain work (bench-micro, Google Benchmark), or None."""
    exe = ctx.micro()
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--benchmark_format=json", "--benchmark_min_time=0.5"], check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=300).stdout
        rows = {b["name"]: round(b["cpu_time"], 1) for b in json.loads(out)["benchmarks"]}
        log(f"bench-micro (CPU ns per record): {rows}")
        return rows
    except (subprocess.SubprocessError, ValueError, KeyError) as exc:
        log(f"bench-micro failed: {exc}")
        return None


# --------------------------------------------------------------------------- data
def ensure_data(kafka, args):
    n = args.records
    topic = args.topic or f"bench_in_{n}"
    d = os.path.join(BENCH, "results", "tmp", f"data-{topic}")
    mpath = os.path.join(d, "manifest.json")
    have = kafka.topics()
    if os.path.isfile(mpath) and topic in have and not args.reload:
        with open(mpath) as f:
            manifest = json.load(f)
        ends = kafka.end_offsets(topic)
        # >=: a transactional loader (the EOS source connector) leaves commit markers in the offsets
        if manifest.get("records") == n and sum(ends) >= n:
            log(f"reusing topic {topic} ({n} records) and {mpath}")
            return finish_data(kafka, topic, manifest, ends, args)
    log(f"loading {n} records into topic {topic}")
    kafka.delete(topic)
    time.sleep(2)
    kafka.create(topic)
    loader = os.path.join(ROOT, "scripts/load-expedia.sh")
    use_loader = os.path.isfile(loader) and os.environ.get("BENCH_DATA", "load-expedia") != "devdata"
    devdata = ["/usr/bin/python3", os.path.join(BENCH, "devdata.py"), "--records", str(n), "--topic", topic,
               "--out", d, "--bootstrap", args.bootstrap]
    # A container per data set: a load still reading one set's files never sees another's (demo, tests).
    cmd = ["bash", loader, "--records", str(n), "--topic", topic, "--replace", "--bootstrap", args.bootstrap,
           "--container", f"bench-{n}"] if use_loader else devdata
    env = dict(os.environ)
    port = int(args.bootstrap.rsplit(":", 1)[1])
    if port != 9092 and "CONNECT_PORT" not in env:
        # a broker of one's own (KAFKA_PORT=29092) gets a Connect worker of its own (28083): the
        # shared worker on 8083 writes to the shared broker
        env["CONNECT_PORT"] = str(port - 1009)
    log("$ " + " ".join(cmd) + (f"  (CONNECT_PORT={env['CONNECT_PORT']})" if "CONNECT_PORT" in env else ""))
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env)
    if proc.returncode != 0 and use_loader:
        # The benchmark needs a data set and its manifest more than it needs this loader:
        # say so loudly, fall back to the dev-aid producer; the report names the generator.
        log(f"WARNING: scripts/load-expedia.sh failed (status {proc.returncode}); "
            "falling back to bench/devdata.py")
        use_loader = False
        kafka.delete(topic)
        time.sleep(2)
        kafka.create(topic)
        log("$ " + " ".join(devdata))
        proc = subprocess.run(devdata, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"bench: loading the data failed (status {proc.returncode})")
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    src = lines[-1].strip()
    with open(src) as f:
        manifest = json.load(f)
    manifest.setdefault("generator", "scripts/load-expedia.sh" if use_loader else "bench/devdata.py (dev aid)")
    os.makedirs(d, exist_ok=True)
    if os.path.abspath(src) != os.path.abspath(mpath):
        shutil.copyfile(src, mpath)
        with open(mpath, "w") as f:
            json.dump(manifest, f, indent=1)
    ends = kafka.end_offsets(topic)
    if sum(ends) < n or manifest["records"] != n:
        raise SystemExit(f"bench: topic {topic} holds {sum(ends)} records, manifest {manifest['records']}, wanted {n}")
    return finish_data(kafka, topic, manifest, ends, args)


def last_record_ends(bootstrap, topic, ends):
    """Per partition, the offset after its last record: what a consumer has committed once it
    has processed everything (the end offset itself can lie beyond trailing transaction markers)."""
    out = []
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-probe", "enable.auto.commit": False,
                  "isolation.level": "read_committed", "enable.partition.eof": True})
    try:
        for p, end in enumerate(ends):
            back, last = 64, None
            while last is None:
                start = max(0, end - back)
                c.assign([TopicPartition(topic, p, start)])
                eof = False
                while not eof:
                    for m in c.consume(1000, 5.0):
                        if m.error():
                            eof = eof or m.error().code() == KafkaError._PARTITION_EOF
                        else:
                            last = m.offset() + 1
                if start == 0:
                    break
                back *= 8
            out.append(last or 0)
    finally:
        c.close()
    return out


def finish_data(kafka, topic, manifest, ends, args):
    data = {"topic": topic, "records": manifest["records"], "manifest": manifest, "end_offsets": ends,
            "done_offsets": last_record_ends(kafka.bootstrap, topic, ends)}
    if data["done_offsets"] != ends:
        log(f"input {topic}: end offsets {ends}, last records end at {data['done_offsets']} (transaction markers)")
    template, inputs, dup = [], {}, [False]

    def keep(p, key, value):
        rec = json.loads(value)
        if len(template) < 30:
            template.append(rec)
        if args.deep:
            if rec.get("id") in inputs:
                dup[0] = True
            inputs[rec.get("id")] = (p, rec)

    if args.deep:
        read_topic(kafka.bootstrap, topic, keep)
        if dup[0]:
            log("input ids are not unique: no record-by-record check")
        else:
            data["inputs"] = inputs
    else:
        c = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": "bench-probe", "enable.auto.commit": False})
        c.assign([TopicPartition(topic, 0, 0)])
        for m in c.consume(30, 10):
            if not m.error():
                template.append(json.loads(m.value()))
        c.close()
    data["template"] = template
    return data


# --------------------------------------------------------------------------- report
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, timeout=20).stdout.strip()
    except Exception:  # noqa: BLE001
        return ""


def machine():
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    return {
        "cpu": sh("lscpu | sed -n 's/^Model name: *//p' | head -1"),
        "cores": os.cpu_count(), "memory": mem,
        "os": sh(". /etc/os-release && echo $PRETTY_NAME") + ", kernel " + platform.release(),
        "load_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "broker": "Apache Kafka 3.9.1, single local node (KRaft) on the same machine",
        "librdkafka": sh("pkg-config --modversion rdkafka++"),
        "java": sh("java -version 2>&1 | head -1"),
        "faust": sh(f"{FAUST_VENV}/bin/python -c 'import faust,sys; print(faust.__version__, sys.version.split()[0])'"),
        "commit": sh(f"git -C {ROOT} rev-parse --short HEAD") + (" (dirty tree)" if sh(f"git -C {ROOT} status --porcelain") else ""),
    }


def fmt(x, nd=1):
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return f"{x:,}"


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


RUN_FIGURES = ("wall_s", "records_per_s", "cpu_s", "cpu_total_s", "cpu_us_per_record", "peak_rss_mb")


def combine(runs):
    """One report row from a contender's repeated throughput runs (--repeat): each figure is the
    median over the runs, "spread" the range of records/s (the targets are read on the medians).
    A failed run fails the row: a fast wrong answer does not count, even once in three."""
    base = dict(runs[-1])
    base["runs"] = [{k: r.get(k) for k in RUN_FIGURES + ("ok",)} | ({"partial": r["partial"]} if r.get("partial")
                                                                    else {}) for r in runs]
    bad = [i for i, r in enumerate(runs) if not (r.get("ok") or r.get("partial"))]
    if bad:
        base = dict(runs[bad[0]], runs=base["runs"], ok=False)
        if len(runs) > 1:
            base["error"] = f"run {bad[0] + 1} of {len(runs)} failed: " + base.get("error", "")
        return base
    for k in RUN_FIGURES:
        v = median(r.get(k) for r in runs)
        base[k] = round(v, 3 if k == "wall_s" else 2) if isinstance(v, float) else v
    if base.get("records_per_s"):
        base["records_per_s"] = round(base["records_per_s"])
    if all(r.get("partial") for r in runs):
        base["partial"] = {"records": round(median(r["partial"]["records"] for r in runs)),
                           "seconds": round(median(r["partial"]["seconds"] for r in runs), 1)}
    rates = [r["records_per_s"] for r in runs if r.get("records_per_s")]
    if len(rates) > 1:
        base["spread"] = {"min": min(rates), "max": max(rates),
                          "pct": round(100.0 * (max(rates) - min(rates)) / median(rates), 1)}
    return base


def best_of(by, name):
    """The row of contender `name` or of one of its variants (Kafka Streams with 2 threads),
    whichever has the higher median records/s."""
    rows = [r for r in by.values() if r["name"] == name or r.get("variant_of") == name]
    return max(rows, key=lambda r: r.get("records_per_s") or 0, default=None)


def targets(results, micro_ns=None):
    by = {r["name"]: r for r in results if r.get("ok") or r.get("partial")}
    lim = max((r["records_per_s"] for r in by.values() if r["name"] in ("limit-kcat", "limit-cpp")), default=None)
    job = by.get("kstream-app-eos")
    rows = []

    def ratio(a, b):
        return a / b if a and b else None

    def row(what, value, goal, ok):
        rows.append((what, value, goal, "n/a" if ok is None else ("met" if ok else "MISSED")))

    if job:
        r = ratio(job["records_per_s"], lim)
        row("kstream-app exactly_once vs the limit", f"{r:.2f}x" if r else "–", ">= 0.8x", None if r is None else r >= 0.8)
        for peer, goal in (("kafka-streams-eos", 2.0), ("faust", 20.0)):
            best = best_of(by, peer) or {}
            r = ratio(job["records_per_s"], best.get("records_per_s"))
            note = f" (against {best['label']}, the faster setting)" if best.get("variant_of") else ""
            note += " (peer's rate from a partial run)" if best.get("partial") else ""
            row(f"kstream-app exactly_once vs {peer}", (f"{r:.1f}x" if r else "–") + note, f">= {goal:g}x",
                None if r is None else r >= goal)
        row("kstream-app exactly_once peak RSS", f"{job['peak_rss_mb']} MB", "<= 100 MB", job["peak_rss_mb"] <= 100)
    else:
        row("kstream-app", "not measured", "", None)
    if micro_ns and "BM_pipeline" in micro_ns:
        us = micro_ns["BM_pipeline"] / 1000
        row("parse + classify + serialize, CPU per record (bench-micro)", f"{us:.2f} µs", "<= 1.5 µs", us <= 1.5)
    return lim, rows


def lat_note(r):
    """A mark when the latency run's rate was beyond what the contender sustained."""
    lat = r.get("latency") or {}
    if lat.get("error"):
        return " (" + lat["error"] + ")"
    if lat.get("rate") and r.get("records_per_s") and lat["rate"] > 0.8 * r["records_per_s"]:
        return " (saturated: rate above 0.8x its throughput)"
    return ""


def report(results, data, args, out_dir, stamp, mach, micro_ns=None):
    lim, trows = targets(results, micro_ns)
    lim_row = max((r for r in results if r.get("ok") and r["name"] in ("limit-kcat", "limit-cpp")),
                  key=lambda r: r["records_per_s"], default=None)
    lim_cpu = lim_row["cpu_s"] if lim_row else None
    m = data["manifest"]
    repeat = max((len(r.get("runs", [])) for r in results), default=1)
    lines = [f"# Benchmark {stamp}: {data['records']:,} records", "",
             f"Input topic `{data['topic']}` ({len(data['end_offsets'])} partitions), generated by "
             f"{m.get('generator', '?')} (seed {m.get('seed')}). Command: `{' '.join(sys.argv)}`.", ""]
    if repeat > 1:
        lines += [f"Every throughput run was repeated {repeat} times, the contenders taking turns; each figure is "
                  "the median of its runs, and \"records/s min-max\" shows their range (spread = range / median). "
                  "The targets are read on the medians.", ""]
    lines += ["| contender | guarantee | output check | wall s | records/s | records/s min-max (spread) | x limit | "
              "CPU s | CPU µs/rec | peak RSS MB | latency p50 ms | p99 ms |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lat = r.get("latency", {})
        x = r["records_per_s"] / lim if lim and r.get("records_per_s") and (r.get("ok") or r.get("partial")) \
            else None
        check = "ok" if r.get("ok") else "**FAILED**"
        if r.get("partial"):
            check = f"partial run: {r['partial']['records']:,} records in {r['partial']['seconds']} s"
        elif not r.get("ok"):  # a fast wrong answer does not count: no throughput figure
            r = dict(r, records_per_s=None)
        sp = r.get("spread")
        spread = f"{sp['min']:,}-{sp['max']:,} ({sp['pct']:.0f} %)" if sp and r.get("records_per_s") else "–"
        lines.append(f"| {r['label']}{' *' if r.get('from_run') else ''} | {r['guarantee']} | {check} | {fmt(r.get('wall_s'), 2)} | "
                     f"{fmt(r.get('records_per_s'))} | {spread} | {fmt(x, 2) if x else '–'} | {fmt(r.get('cpu_s'), 2)} | "
                     f"{fmt(r.get('cpu_us_per_record'), 2)} | {fmt(r.get('peak_rss_mb'))} | "
                     f"{fmt(lat.get('p50_ms'))} | {fmt(lat.get('p99_ms'))}{lat_note(r)} |")
    lines += ["", f"The limit is the faster of the two passthroughs: {lim_row['name'] if lim_row else '–'}, "
              f"{fmt(lim)} records/s" + (f", {lim_cpu} CPU s." if lim_cpu else "."), ""]
    fails = [r for r in results if not r.get("ok") and not r.get("partial")]
    if fails:
        lines += ["Failed runs (their figures do not count):", ""]
        lines += [f"- {r['name']}: {r.get('error', '')} {r['check']['detail'] if 'check' in r else ''}" for r in fails]
        lines.append("")
    lines += ["## Targets (issues 5 and 13, from this run" + (", on the medians)" if repeat > 1 else ")"), "", "| target | measured | goal | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in trows]
    if data["records"] < FULL_SET_RECORDS:
        # The quick set is over in a second or two: the job's start-up, its partition assignment and the
        # final transaction commit (exactly_once) weigh far more than on the full set.
        lines += ["", f"The targets are set on the full set ({FULL_SET_RECORDS:,} records, `make bench FULL=1`). On "
                  f"{data['records']:,} records start-up and the final commit interval dominate the exactly_once "
                  "run, so its ratio to the limit reads low here."]
    if micro_ns:
        lines += ["", "bench-micro (Google Benchmark, the job's domain functions, CPU ns per record): "
                  + ", ".join(f"{k[3:]} {v}" for k, v in micro_ns.items()) + "."]
    lines += ["", "## Non-default settings of every contender", "",
              "Everything not listed is the contender's own default. Topic names, group ids and transactional "
              "ids are the benchmark's own per run and not listed.", ""]
    for r in results:
        lines.append(f"- **{r['label']}**: " + "; ".join(r.get("settings") or ["none"]))
    lat = next((r["latency"] for r in results if r.get("latency")), None)
    lines += ["", "## How", "",
              "- wall: from the contender's start (process launch) to all output committed: the process "
              "exiting after its drain (passthroughs, kstream-app) or its consumer group's committed offsets "
              "reaching the input's end (Kafka Streams, faust; then stopped with SIGTERM).",
              "- CPU s: user + system time of the whole process tree up to that moment (/proc sampling every "
              "0.1 s; exiting contenders: wait4 rusage). Peak RSS: the largest sum of RSS over the process tree "
              "in any sample (whole JVM, whole Python process, all six kcat processes).",
              f"- commit / transaction interval {args.commit_ms} ms for every contender that has one.",
              "- output check: the output topic read back with isolation.level=read_committed; total, "
              "per-category records and distinct hotels equal to the manifest, per-partition counts where the "
              "contender keeps partitions" + ("; every record compared with its input and bench/contract.py."
                                             if data.get("inputs") else "."),
              ]
    if lat:
        lines.append(f"- latency: {lat['rate']} records/s for {lat['seconds']} s into a fresh topic while the "
                     "contender runs; each record's \"id\" is its produce time; a read_committed consumer takes "
                     "now - id. Exactly-once contenders include their commit interval.")
    lines += ["", "## Machine", ""] + [f"- {k}: {v}" for k, v in mach.items()] + [""]
    md = "\n".join(lines)
    base = os.path.join(out_dir, f"{stamp}-{data['records']}")
    with open(base + ".md", "w") as f:
        f.write(md)
    with open(base + ".json", "w") as f:
        json.dump({"stamp": stamp, "machine": mach, "manifest": m, "results": results, "micro_ns": micro_ns,
                   "targets": trows, "args": vars(args)}, f, indent=1)
    png = chart(results, base, data["records"])
    for ext, path in ((".md", base + ".md"), (".png", png)):
        if path and not args.no_latest:
            shutil.copyfile(path, os.path.join(out_dir, "latest" + ext))
    return base + ".md", png, md


def chart(results, base, n):
    runs = max((len(r.get("runs", [])) for r in results), default=1)
    subtitle = f", median of {runs} runs, bars: min-max" if runs > 1 else ""
    ok = [r for r in results if r.get("records_per_s") and (r.get("ok") or r.get("partial"))]
    if not ok or not shutil.which("gnuplot"):
        return None
    dat = base + ".dat"
    with open(dat, "w") as f:
        for r in ok:
            sp = r.get("spread") or {"min": r["records_per_s"], "max": r["records_per_s"]}
            f.write(f"\"{r['name']}{' (partial)' if r.get('partial') else ''}\" {r['records_per_s']} "
                    f"{r['peak_rss_mb']} {sp['min']} {sp['max']}\n")
    png = base + ".png"
    script = f"""
set terminal pngcairo size 1200,520 font 'sans,10'
set output '{png}'
set multiplot layout 1,2 title 'kstream-app benchmarks, {n:,} records ({os.path.basename(base)}){subtitle}'
set style fill solid 0.8 border -1
set boxwidth 0.7
set grid ytics
set xtics rotate by -35 left
set yrange [0:*]
set offsets 0.5, 0.5, graph 0.08, 0
unset key
set title 'throughput (records/s, higher is better)'
plot '{dat}' using 0:2:xtic(1) with boxes lc rgb '#3572a5', '' using 0:2:4:5 with yerrorbars lc rgb '#000000' pt -1, \\
     '' using 0:2:(sprintf('%.0f',$2)) with labels offset 0,0.7 font ',8'
set title 'peak RSS of the process tree (MB, lower is better)'
plot '{dat}' using 0:3:xtic(1) with boxes lc rgb '#c0504d', '' using 0:3:(sprintf('%.0f',$3)) with labels offset 0,0.7 font ',8'
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    return png


# --------------------------------------------------------------------------- main
def start_run(tool, ctx, contenders, args):
    """What every benchmark script does first: refuses contenders that cannot run here, names
    the run and makes its folders. Returns (stamp, run_id, machine facts, Kafka)."""
    for c in contenders:
        why = c.available(ctx)
        if why:
            raise SystemExit(f"{tool}: {c.name}: {why}")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_id = stamp.lower().replace("t", "").replace("z", "")
    ctx.runtmp = os.path.join(BENCH, "results", "tmp", "runs", stamp)
    os.makedirs(ctx.runtmp, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    return stamp, run_id, machine(), Kafka(args.bootstrap)


def run_contenders(runnable, ctx, kafka, data, run_id, args, latency_too=None, no_latency_for=()):
    """Every contender's throughput run, args.repeat times with the contenders taking turns (so a
    burst of load on the machine hits all of them alike), then one latency run each (except the
    contenders named in no_latency_for); one combined row per contender (medians, see combine())."""
    runs = {c.name: [] for c in runnable}
    for i in range(max(1, args.repeat)):
        for c in runnable:
            if args.repeat > 1:
                log(f"{c.name}: run {i + 1} of {args.repeat}")
            runs[c.name].append(throughput(c, ctx, kafka, data, run_id + (f"r{i + 1}" if args.repeat > 1 else ""),
                                           args))
    results = []
    for c in runnable:
        r = combine(runs[c.name])
        r["settings"] = c.settings(ctx)
        r["variant_of"] = c.variant_of
        if ((not args.no_latency) if latency_too is None else latency_too) and c.name not in no_latency_for:
            r["latency"] = latency(c, ctx, kafka, data["template"], run_id, args)
        results.append(r)
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=int(os.environ.get("BENCH_RECORDS", 200000)))
    p.add_argument("--topic", help="input topic (default bench_in_<records>)")
    p.add_argument("--contenders", default=os.environ.get("BENCH_CONTENDERS", "all"),
                   help="comma-separated names (see --list), or all")
    p.add_argument("--bootstrap", default=os.environ.get("BENCH_BOOTSTRAP", "127.0.0.1:9092"))
    p.add_argument("--build-dir", default=os.environ.get("BENCH_BUILD_DIR", "build"))
    p.add_argument("--commit-ms", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 1)),
                   help="throughput runs per contender (contenders take turns); the report gives the median "
                   "and the range (make bench FULL=1: 3)")
    p.add_argument("--lat-rate", type=int, default=1000, help="latency run: records/s")
    p.add_argument("--lat-seconds", type=int, default=20, help="latency run: seconds")
    p.add_argument("--no-latency", action="store_true")
    p.add_argument("--no-micro", action="store_true", help="do not run bench-micro")
    p.add_argument("--deep", action=argparse.BooleanOptionalAction, default=None,
                   help="record-by-record check (default: when records <= 300000)")
    p.add_argument("--timeout", type=float, help="per run, seconds (default 120 + records/1000)")
    p.add_argument("--partial", action="append", default=[], metavar="NAME=SECONDS",
                   help="stop contender NAME (Kafka Streams, faust) after SECONDS and report its rate over the "
                   "records it committed by then, output unchecked (faust needs hours for the full set here)")
    p.add_argument("--out", default=os.path.join(BENCH, "results"))
    p.add_argument("--no-latest", action="store_true", help="do not update latest.md / latest.png")
    p.add_argument("--reload", action="store_true", help="regenerate the input topic")
    p.add_argument("--keep-topics", action="store_true")
    p.add_argument("--smoke", action="store_true", help="tiny run for `make test`: small set, no latency, "
                   "results in bench/results/tmp/smoke; exit 1 unless every contender's output checks out")
    p.add_argument("--allow-missing", action="store_true", help="skip contenders that cannot run here")
    p.add_argument("--list", action="store_true")
    p.add_argument("--merge-from", metavar="RESULTS.json",
                   help="re-run only the chosen contenders and take every other row from this earlier "
                   "report of the same data set (the report says which rows come from where)")
    args = p.parse_args()
    if args.smoke:
        args.records = min(args.records, 3000) if "BENCH_RECORDS" not in os.environ else args.records
        args.no_latency, args.no_latest = True, True
        args.out = os.path.join(BENCH, "results", "tmp", "smoke")
    try:
        args.partial = {k: float(v) for k, v in (x.split("=", 1) for x in args.partial)}
    except ValueError:
        raise SystemExit("bench: --partial wants NAME=SECONDS")
    if args.deep is None:
        args.deep = args.records <= 300000
    ctx = Ctx(args)
    if args.list:
        for c in CONTENDERS:
            why = c.available(ctx)
            print(f"{c.name:20} {c.label:40} {'ready' if not why else 'unavailable: ' + why}")
        return 0
    # "all" leaves out the variants (Kafka Streams with 2 threads) in a smoke run: same code, another setting
    wanted = [c for c in CONTENDERS if c.name in args.contenders.split(",")
              or (args.contenders == "all" and not (args.smoke and c.variant_of))]
    unknown = set(args.contenders.split(",")) - {c.name for c in CONTENDERS} - {"all"}
    if unknown:
        raise SystemExit(f"bench: unknown contenders {sorted(unknown)}; see --list")
    runnable = []
    for c in wanted:
        why = c.available(ctx)
        if why:
            if not (args.allow_missing or args.contenders == "all"):
                raise SystemExit(f"bench: {c.name}: {why}")
            log(f"skipping {c.name}: {why}")
        else:
            runnable.append(c)
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_id = stamp.lower().replace("t", "").replace("z", "")
    ctx.runtmp = os.path.join(BENCH, "results", "tmp", "runs", stamp)
    os.makedirs(ctx.runtmp, exist_ok=True)
    mach = machine()
    kafka = Kafka(args.bootstrap)
    data = ensure_data(kafka, args)
    ctx.partitions = len(data["end_offsets"])
    results = run_contenders(runnable, ctx, kafka, data, run_id, args)
    micro_ns = None if args.smoke or args.no_micro else micro(ctx)
    if args.merge_from:
        with open(args.merge_from) as f:
            old = json.load(f)
        if old["manifest"] != data["manifest"]:
            raise SystemExit(f"bench: {args.merge_from} is from another data set")
        fresh = {r["name"]: r for r in results}
        results = [fresh.pop(r["name"], None) or dict(r, from_run=old["stamp"]) for r in old["results"]] \
            + list(fresh.values())
        order = [c.name for c in CONTENDERS]
        results.sort(key=lambda r: order.index(r["name"]) if r["name"] in order else len(order))
        micro_ns = micro_ns or old.get("micro_ns")
        mach["merged"] = (f"rows marked * come from run {old['stamp']} (load then: "
                          f"{old['machine'].get('load_at_start')}); the others from this run")
    md_path, png, md = report(results, data, args, args.out, stamp, mach, micro_ns)
    print(md)
    log(f"report {md_path}" + (f", chart {png}" if png else ""))
    skipped = [c.name for c in wanted if c not in runnable]
    if skipped:
        log(f"not run here: {', '.join(skipped)}")
    # A partial run was asked for (--partial) and is flagged as such in the report: not a failure.
    return 0 if all(r.get("ok") or r.get("partial") for r in results) and results else 1


if __name__ == "__main__":
    sys.exit(main())
