"""The runs: a contender's throughput run (the whole input, output checked) and its latency
run (a fixed input rate, produce time to read_committed read), repeated runs combined into one
row, the micro-benchmark, and what every benchmark script does first (start_run)."""
import json
import os
import subprocess
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition

from kbench import ceiling
from kbench.checks import ID_RE, check_output, offsets_check
from kbench.common import ROOT, log, new_run
from kbench.kafka_io import Kafka
from kbench.processes import Meter, reap, start, stop
from kbench.reports import machine


def throughput(contender, ctx, kafka, data, run_id, args, light_check=False):
    n = data["records"]
    out = f"bench_{contender.name.replace('-', '_')}_{run_id}"
    extra = [f"{out}_{t}" for t in contender.extra_topics]
    group = f"bench-{contender.name}-{run_id}"
    # the output has the input's partition count (the job keeps partitions); the side topics 3
    kafka.create(out, partitions=len(data["end_offsets"]), config=getattr(args, "output_topic_config", None))
    kafka.create(*extra)
    logfile = os.path.join(ctx.runtmp, f"{contender.name}-{run_id}.log")
    ends = data["done_offsets"]
    timeout = args.timeout or (120 + n / 1000)
    partial_after = args.partial.get(contender.name)
    if partial_after and contender.kind == "group":
        timeout = partial_after
    log(f"{contender.name}: start ({n} records, output {out})")
    bpid = ceiling.broker_pid(ctx.bootstrap)
    broker_cpu0 = ceiling.process_cpu(bpid)
    t0 = time.monotonic()
    proc = start(contender, ctx, data["topic"], out, group, True, extra, logfile)
    meter = Meter(proc.pid)
    meter.start()
    res = {"name": contender.name, "label": contender.label, "guarantee": contender.guarantee,
           "records": n, "log": os.path.relpath(logfile, ROOT), "load_1m": round(os.getloadavg()[0], 2)}
    ru = cpu_at_done = t_done = None
    try:
        if contender.kind == "exit":
            ru, t_done = _run_to_exit(proc, timeout, res)
        else:
            ru, t_done, cpu_at_done = _run_until_committed(proc, ctx, kafka, group, data, timeout, partial_after,
                                                           t0, meter, res)
    finally:
        meter.stop()
    broker_cpu1 = ceiling.process_cpu(bpid)
    res["wall_s"] = round(t_done - t0, 3)
    done_records = res["partial"]["records"] if "partial" in res else n
    res["records_per_s"] = round(done_records / res["wall_s"]) if res["wall_s"] > 0 else None
    total_cpu = (ru.ru_utime + ru.ru_stime) if ru else meter.cpu
    res["cpu_s"] = round(total_cpu if contender.kind == "exit" else cpu_at_done, 2)
    res["cpu_total_s"] = round(total_cpu, 2)
    res["cpu_us_per_record"] = round(res["cpu_s"] * 1e6 / max(1, done_records), 2)
    res["peak_rss_mb"] = round(meter.peak_rss / 2**20, 1)
    res["maxrss_single_mb"] = round(ru.ru_maxrss / 1024, 1) if ru else None
    if broker_cpu0 is not None and broker_cpu1 is not None:
        res["broker_cpu_s"] = round(broker_cpu1 - broker_cpu0, 2)
    timed = ceiling.timed_phase(logfile)
    if timed and timed.get("wall_s"):  # a contender that times its own measured phase (broker-ingest)
        res.update(wall_total_s=res["wall_s"], wall_s=timed["wall_s"], cpu_s=round(timed["cpu_s"], 2),
                   records_per_s=round(done_records / timed["wall_s"]),
                   cpu_us_per_record=round(timed["cpu_s"] * 1e6 / max(1, done_records), 2))
    if contender.kind == "exit" and "error" not in res and contender.guarantee != "none":
        got = kafka.committed(group, data["topic"], len(ends))
        if not all(c >= e for c, e in zip(got, ends)):
            res["error"] = f"exited but committed offsets {got} != input end {ends}"
    log(f"{contender.name}: {res['wall_s']} s, {res['records_per_s']} rec/s, cpu {res['cpu_s']} s, "
        f"rss {res['peak_rss_mb']} MB; checking the output")
    if "partial" in res:
        res["check"] = {"ok": False, "detail": "partial run: output not checked"}
    elif light_check:
        res["check"] = offsets_check(kafka, out, data, contender)
    else:
        res["check"] = check_output(kafka, out, data, contender, args.deep)
    res["ok"] = "error" not in res and res["check"]["ok"]
    if not args.keep_topics:
        kafka.delete(out, *extra, f"{out}_dlq")
    log(f"{contender.name}: {'OK' if res['ok'] else 'FAILED: ' + res.get('error', '') + ' ' + res['check']['detail']}")
    return res


def _run_to_exit(proc, timeout, res):
    """A contender that exits by itself at the end of its input: (its rusage, when it ended)."""
    status, ru = reap(proc, timeout)
    t_done = time.monotonic()
    if status is None:
        res["error"] = f"did not finish within {timeout:.0f} s"
        status, ru = stop(proc)
    elif status != 0:
        res["error"] = f"exited with status {status}"
    return ru, t_done


def _run_until_committed(proc, ctx, kafka, group, data, timeout, partial_after, t0, meter, res):
    """A contender that runs until stopped: waits until its group has committed the whole input,
    then stops it. (its rusage, when the input was committed, its CPU seconds by then)"""
    ends = data["done_offsets"]
    ru = None
    committed_at_end = 0
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
                                f"({committed_at_end:,} of {data['records']:,} records committed)")
    if proc.returncode is None:
        _, ru = stop(proc)
    return ru, t_done, cpu_at_done


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
        total = _send_at_rate(send, prod, rate, seconds)
        prod.flush(30)
        _push_until_seen(send, prod, seen, total)
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
    res.update(_latency_summary(lat_us))
    log(f"{contender.name}: latency {res}")
    return res


def _send_at_rate(send, prod, rate, seconds):
    """Sends rate * seconds records, evenly spread over the seconds; returns how many."""
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
    return total


def _push_until_seen(send, prod, seen, total, seconds=60):
    """Until `total` measured records came out (at most `seconds`): unmeasured trailing records
    (id 1) push out anything a contender holds back until more input arrives (kcat -P keeps
    the last line of its stdin buffer)."""
    deadline = time.monotonic() + seconds
    i = 0
    while seen[0] < total and time.monotonic() < deadline:
        send(i, rid=1)
        i += 1
        prod.poll(0)
        time.sleep(0.1)


def _latency_summary(lat_us):
    """The percentiles of the latencies measured (microseconds), in milliseconds; {} for none."""
    xs = sorted(lat_us)
    if not xs:
        return {}
    return {"records": len(xs), "p50_ms": round(xs[len(xs) // 2] / 1000, 1),
            "p99_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.99))] / 1000, 1),
            "max_ms": round(xs[-1] / 1000, 1)}


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


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


RUN_FIGURES = ("wall_s", "records_per_s", "cpu_s", "cpu_total_s", "cpu_us_per_record", "peak_rss_mb",
               "broker_cpu_s", "load_1m")


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


def start_run(tool, ctx, contenders, args):
    """What every benchmark script does first: refuses contenders that cannot run here, names
    the run and makes its folders. Returns (stamp, run_id, machine facts, Kafka)."""
    for c in contenders:
        why = c.available(ctx)
        if why:
            raise SystemExit(f"{tool}: {c.name}: {why}")
    stamp, run_id = new_run(ctx)
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
                                           args, light_check=i > 0 and getattr(args, "check_first_only", False)))
    results = []
    for c in runnable:
        r = combine(runs[c.name])
        r["settings"] = c.settings(ctx)
        r["variant_of"] = c.variant_of
        wanted = (not args.no_latency) if latency_too is None else latency_too
        if wanted and c.latency and c.name not in no_latency_for:
            r["latency"] = latency(c, ctx, kafka, data["template"], run_id, args)
        results.append(r)
    return results

