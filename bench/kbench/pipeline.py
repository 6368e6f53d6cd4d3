"""The whole pipeline as `make demo FULL=1` runs it, stage by stage (bench/pipeline.py):
blob files -> Azurite (az upload-batch) -> Kafka Connect source (the blob Avro connector) -> the
input topic -> kstream-app --job.drain -> the output topic -> kstream-stats --job.drain, whose
final table must equal the data set's manifest (--expect-manifest: exit 1 on any difference).

Each stage's wall time, records/s and the CPU seconds of the processes that did its work (the
Connect worker, the broker, Azurite, the job, the view) come from /proc. The Connect stage is
timed from the connector's submission to its committed source offsets saying every file is read
(GET /connectors/NAME/offsets, KIP-875): nothing consumes the topic meanwhile, so the timing
takes no CPU from the stage it times. A connector variant (--variant NAME:KEY=VALUE,...) sets
connector keys (producer.override.* included) over connect/expedia-azure-blob-source.json."""
import json
import os
import resource
import subprocess
import time
import urllib.request

from kbench.common import ROOT, log
from kbench.processes import TICK, tree_usage

SCRIPTS = os.path.join(ROOT, "scripts")
CONFIG = os.path.join(ROOT, "connect", "expedia-azure-blob-source.json")
# Before this round (issue 23): a Connect Struct per record through the JsonConverter, a
# transaction per poll of 5,000 records. `shipped` is connect/expedia-azure-blob-source.json as it is.
OLD_CONNECTOR = {"output.format": "struct", "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                 "value.converter.schemas.enable": "false"}


def parse_variant(text):
    """"NAME:KEY=VALUE,KEY=VALUE" (or "old", "shipped") -> (name, {key: value})."""
    if text == "old":
        return "old", dict(OLD_CONNECTOR)
    if text == "shipped":
        return "shipped", {}
    name, _, sets = text.partition(":")
    kv = dict(s.split("=", 1) for s in sets.split(",") if s)
    return name, kv


class Services:
    """The broker, Azurite and the Connect worker of one benchmark broker (ports derived from
    the broker's as bench/kbench/data.py does: Connect = port - 1009, Azurite = port - 9092)."""

    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        port = int(bootstrap.rsplit(":", 1)[1])
        own = port != 9092
        self.env = dict(os.environ, CONNECT_BOOTSTRAP=bootstrap)
        if own:
            self.env.setdefault("CONNECT_PORT", str(port - 1009))
            self.env.setdefault("AZURITE_PORT", str(port - 9092))
            self.env.setdefault("KAFKA_PORT", str(port))
        self.connect = "http://127.0.0.1:" + self.env.get("CONNECT_PORT", "8083")

    def script(self, name, *args, env=None):
        return subprocess.run(["bash", os.path.join(SCRIPTS, name), *args], env=dict(self.env, **(env or {})),
                              check=True, stdout=subprocess.PIPE, text=True).stdout.strip()

    def start(self, java_opts=None):
        self.script("local-azurite.sh", "start")
        self.script("local-connect.sh", "start", env={"CONNECT_JAVA_OPTS": java_opts} if java_opts else None)
        self.az_env = dict(self.env, AZURE_STORAGE_CONNECTION_STRING=self.script("local-azurite.sh",
                                                                                  "connection-string"),
                           AZURE_CORE_COLLECT_TELEMETRY="no", AZURE_CORE_ONLY_SHOW_ERRORS="yes")

    def restart_connect(self, java_opts=None):
        self.script("local-connect.sh", "stop")
        self.start(java_opts)

    def pids(self):
        """{role: pid} of the long-running services (for their CPU seconds)."""
        out = {"connect": self.script("local-connect.sh", "pid")}
        for role, port in (("broker", self.bootstrap.rsplit(":", 1)[1]), ("azurite", self.env.get("AZURITE_PORT", "10000"))):
            ss = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], stdout=subprocess.PIPE, text=True).stdout
            if "pid=" in ss:
                out[role] = ss.split("pid=", 1)[1].split(",", 1)[0]
        return {k: int(v) for k, v in out.items() if v}

    def rest(self, method, path, body=None):
        req = urllib.request.Request(self.connect + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
            return json.loads(text) if text else None


def thread_cpu(pid):
    """{thread id: (kind, CPU seconds)} of a JVM's threads, from /proc/PID/task/*/stat; the kind
    from the thread's name (task, producer network, GC, JIT compiler, other)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        fields = st[st.rfind(")") + 2:].split()
        kind = ("task (poll, convert, send)" if comm.startswith(("pool-", "task-thread")) else
                "producer network" if comm.startswith("kafka-producer") else
                "GC" if comm.startswith(("GC", "G1")) else
                "JIT compiler" if comm.startswith(("C1", "C2")) else "other")
        out[tid] = (kind, (int(fields[11]) + int(fields[12])) / TICK)
    return out


class Stage:
    """Wall time, CPU seconds of the given services (and of a child process) and the load."""

    def __init__(self, name, pids):
        self.name, self.pids = name, pids
        self.load = os.getloadavg()[0]
        self.cpu0 = {k: tree_usage(p)[1] for k, p in pids.items()}
        self.threads0 = thread_cpu(pids["connect"]) if "connect" in pids else None
        self.t0 = time.monotonic()

    def done(self, records, extra_cpu=None, **more):
        wall = time.monotonic() - self.t0
        cpu = {k: round(tree_usage(p)[1] - self.cpu0[k], 2) for k, p in self.pids.items()}
        cpu.update(extra_cpu or {})
        row = {"stage": self.name, "wall_s": round(wall, 2), "records": records,
               "records_per_s": round(records / wall) if wall > 0 else None, "cpu_s": cpu,
               "cpu_us_per_record": {k: round(v * 1e6 / records, 2) for k, v in cpu.items()} if records else {},
               "load1_at_start": round(self.load, 2)}
        if self.threads0 is not None:
            by_kind = {}
            for tid, (kind, used) in thread_cpu(self.pids["connect"]).items():
                by_kind[kind] = by_kind.get(kind, 0.0) + used - self.threads0.get(tid, (kind, 0.0))[1]
            row["connect_threads_cpu_s"] = {k: round(v, 2) for k, v in by_kind.items()}
        row.update(more)
        log(f"  {self.name}: {row['wall_s']} s, {row['records_per_s']} rec/s, cpu {cpu}")
        return row


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def upload(svc, data_dir, container, records):
    st = Stage("upload (az -> Azurite)", {k: v for k, v in svc.pids().items() if k == "azurite"})
    az0 = children_cpu()
    subprocess.run(["az", "storage", "container", "create", "--name", container, "-o", "none"],
                   env=svc.az_env, check=True)
    subprocess.run(["az", "storage", "blob", "upload-batch", "--destination", container, "--source", data_dir,
                           "--pattern", "topics/*", "--overwrite", "true", "-o", "none", "--no-progress"],
                   env=svc.az_env, check=True)
    return st.done(records, {"az": round(children_cpu() - az0, 2)})


def file_offsets(svc, name):
    """(records read, files, files at their end) from the connector's committed source offsets."""
    try:
        got = svc.rest("GET", f"/connectors/{name}/offsets")
    except OSError:
        return 0, 0, 0
    offs = [o.get("offset") or {} for o in (got or {}).get("offsets", [])]
    return sum(int(o.get("records", 0)) for o in offs), len(offs), sum(1 for o in offs if o.get("eof"))


def connect_load(svc, container, topic, records, files, name, sets, timeout):
    """Submits the connector (fresh offsets) and waits until its committed offsets cover every file."""
    env = dict(svc.az_env, AZURE_CONTAINER=container, TOPIC=topic, CONNECT_URL=svc.connect)
    st = Stage("Kafka Connect -> " + topic, svc.pids())
    cmd = ["bash", os.path.join(SCRIPTS, "deploy-connector.sh"), "--name", name, "--fresh"]
    for k, v in sets.items():
        cmd += ["--set", f"{k}={v}"]
    subprocess.run(cmd + [CONFIG], env=env, check=True, stdout=subprocess.DEVNULL)
    first = None
    timeline = []
    while True:
        done, n, eof = file_offsets(svc, name)
        now = time.monotonic() - st.t0
        timeline.append((round(now, 2), done))
        if done and first is None:
            first = now
        if n == files and eof == files:
            break
        if now > timeout:
            raise SystemExit(f"pipeline: Connect loaded {done} of {records} records in {timeout:.0f} s")
        status = svc.rest("GET", f"/connectors/{name}/status")
        if any(t.get("state") == "FAILED" for t in status.get("tasks", [])):
            raise SystemExit(f"pipeline: connector {name} failed: {status}")
        time.sleep(0.25)
    if done != records:
        raise SystemExit(f"pipeline: the connector's offsets say {done} records, the data set has {records}")
    row = st.done(records, settings=sets)
    # the steady rate: from the first committed offsets (the first transaction) to the last
    last_wall = row["wall_s"]
    first_done = next(d for _, d in timeline if d)
    if first is not None and last_wall > first:
        row["steady_records_per_s"] = round((records - first_done) / (last_wall - first))
    svc.rest("DELETE", f"/connectors/{name}")
    return row


def run_binary(argv, logfile, timeout):
    """Runs a drain-mode binary; (exit status, CPU seconds from its rusage)."""
    with open(logfile, "ab") as lf:
        proc = subprocess.Popen(argv, stdout=lf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT)
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, round(ru.ru_utime + ru.ru_stime, 2)


def job(svc, build, inp, out, records, run_id, logfile, timeout):
    st = Stage(f"kstream-app exactly_once: {inp} -> {out}", {k: v for k, v in svc.pids().items() if k == "broker"})
    status, cpu = run_binary([os.path.join(build, "app/kstream-app"), f"--config-file={ROOT}/app/caf-application.ini",
                              f'--kafka.bootstrap-servers="{svc.bootstrap}"', f'--kafka.group-id="pipe-{run_id}"',
                              f'--kafka.input-topic="{inp}"', f'--kafka.output-topic="{out}"',
                              f'--kafka.dlq-topic="{out}_dlq"', f'--kafka.transactional-id="pipe-{run_id}-tx"',
                              "--job.drain=true", "--http.port=0"], logfile, timeout)
    if status != 0:
        raise SystemExit(f"pipeline: kstream-app exited {status} (log {logfile})")
    return st.done(records, {"job": cpu})


def stats(svc, build, inp, records, manifest, run_id, logfile, timeout):
    st = Stage(f"kstream-stats: {inp} -> the table", {k: v for k, v in svc.pids().items() if k == "broker"})
    status, cpu = run_binary([os.path.join(build, "app/kstream-stats"), f"--config-file={ROOT}/app/kstream-stats.ini",
                              f'--kafka.bootstrap-servers="{svc.bootstrap}"', f'--kafka.group-id="pipe-stats-{run_id}"',
                              f'--kafka.input-topic="{inp}"', '--kafka.stats-topic=""', '--kafka.state-topic=""',
                              "--job.drain=true", "--http.port=0", '--view.terminal="plain"',
                              f"--expect-manifest={manifest}"], logfile, timeout)
    if status != 0:
        raise SystemExit(f"pipeline: kstream-stats exited {status}: the table is not the manifest's (log {logfile})")
    return st.done(records, {"stats": cpu}, check="the table equals the manifest (--expect-manifest, exit 0)")
