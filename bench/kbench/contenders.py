"""The contenders: who is measured, with which command line and settings, and whether each
can run here. A command builder returns (argv, extra environment, working directory)."""
import os
import shutil
import subprocess

from kbench.common import BENCH, CACHE, ROOT


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
                 variant_of=None, latency=True):
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
        # whether a latency run means anything: the broker-ingest producer reads no input
        self.latency = latency


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


def passthrough_contender(name, label, guarantee, mode, limit=False):
    """bench/passthrough in one of its modes (alo: flush then commit; eos: transactions)."""
    return Contender(name, label, guarantee, "exit", passthrough_cmd(mode),
                     lambda c: why_not(c.passthrough(), "bench-passthrough not built"), limit=limit, passthrough=True,
                     latency=mode != "ingest",
                     settings=lambda ctx: [f"--commit-ms={ctx.commit_ms}", "librdkafka tuned like kstream-app "
                                           "(fetch, prefetch, batching; linger.ms 200 at >= 250 ms, else 5)",
                                           "see bench/passthrough/passthrough.cpp"])


def kstream_app_contender(name, guarantee):
    """The job with one guarantee. It is found at $KSTREAM_APP_BIN or <build>/app/kstream-app."""
    return Contender(name, f"kstream-app {guarantee}", guarantee, "exit", kstream_app_cmd(guarantee),
                     lambda c: why_not(c.kstream_app(), "kstream-app not built"), extra_topics=("dlq",),
                     settings=kstream_app_settings)


def kafka_streams_contender(name, guarantee, streams_guarantee, threads=None):
    """bench/kafka-streams with one guarantee; with `threads`, the variant `<name>-<threads>t` of `name`."""
    return Contender(f"{name}-{threads}t" if threads else name,
                     f"Kafka Streams {streams_guarantee}" + (f", {threads} threads" if threads else ""), guarantee,
                     "group", kafka_streams_cmd(streams_guarantee, threads=threads), ks_built,
                     settings=kafka_streams_settings(streams_guarantee, threads=threads),
                     variant_of=name if threads else None)


CONTENDERS = [
    Contender("limit-kcat", "limit: kcat piped into kcat", "none", "exit", kcat_pipe,
              lambda c: why_not(shutil.which("kcat"), "kcat not installed"), limit=True, passthrough=True,
              settings=lambda ctx: ["kcat -C -o beginning -e -q -f '%s\\n' | kcat -P, one pipe per partition",
                                    "librdkafka defaults otherwise (no idempotence, no transactions)"]),
    passthrough_contender("limit-cpp", "limit: librdkafka C++ passthrough, pipelined", "at_least_once", "alo",
                          limit=True),
    passthrough_contender("broker-ingest", "broker ingest: librdkafka producer from memory", "none", "ingest"),
    passthrough_contender("passthrough-eos", "C++ passthrough, transactions (info)", "exactly_once", "eos"),
    kstream_app_contender("kstream-app-eos", "exactly_once"),
    kstream_app_contender("kstream-app-alo", "at_least_once"),
    kafka_streams_contender("kafka-streams-eos", "exactly_once", "exactly_once_v2"),
    kafka_streams_contender("kafka-streams-eos", "exactly_once", "exactly_once_v2", threads="2"),
    kafka_streams_contender("kafka-streams-alo", "at_least_once", "at_least_once"),
    kafka_streams_contender("kafka-streams-alo", "at_least_once", "at_least_once", threads="2"),
    Contender("faust", "faust-streaming (seed agent)", "at_least_once", "group", faust_cmd,
              lambda c: why_not(os.path.isfile(os.path.join(FAUST_VENV, "bin/faust")), f"no faust in {FAUST_VENV}"),
              keeps_partition=False, extra_topics=("test",), extra_fields=("__faust",), settings=faust_settings),
]
