"""Latency under load (issue 23, bench/latency_load.py): a contender runs on a fresh input topic
that bench-loadlat (bench/loadlat/loadlat.cpp) feeds at a fixed rate, each record carrying its
produce time in "id"; bench-loadlat's read_committed reader takes now - id. One run gives p50,
p99, p99.9 and max, the rate achieved, and the contender's CPU over the run."""
import json
import os
import subprocess
import time

from kbench.common import ROOT, log
from kbench.processes import Meter, start, stop


def loadlat_binary(ctx):
    return ctx.binary(os.path.join(ctx.build_dir, "bench/loadlat/bench-loadlat"), "build/bench/loadlat/bench-loadlat")


def write_templates(data, path):
    """The data set's sample records as JSON lines (bench-loadlat puts the produce time into "id")."""
    with open(path, "w") as f:
        for rec in data["template"]:
            f.write(json.dumps(dict(rec, id=0), separators=(",", ":")) + "\n")


def run(contender, ctx, kafka, data, rate, tag, args):
    """One latency run of `contender` at `rate` records/s: {p50_ms, p99_ms, p999_ms, max_ms, sent,
    seen, achieved_rate, cpu_us_per_record, peak_rss_mb, load_1m} or {"error": ...}."""
    parts = len(data["end_offsets"])
    name = contender.name.replace("-", "_")
    inp, out = f"bench_ll_in_{name}_{tag}", f"bench_ll_out_{name}_{tag}"
    extra = [f"{out}_{t}" for t in contender.extra_topics]
    group = f"bench-ll-{contender.name}-{tag}"
    kafka.create(inp, out, partitions=parts)
    kafka.create(*extra)
    templates = os.path.join(ctx.runtmp, "loadlat-templates.jsonl")
    write_templates(data, templates)
    logfile = os.path.join(ctx.runtmp, f"{contender.name}-loadlat-{tag}.log")
    res = {"rate": round(rate), "seconds": args.seconds, "load_1m": round(os.getloadavg()[0], 2)}
    proc = start(contender, ctx, inp, out, group, False, extra, logfile)
    meter = Meter(proc.pid)
    meter.start()
    t0 = time.monotonic()
    try:
        gen = subprocess.run([loadlat_binary(ctx), f"--bootstrap={ctx.bootstrap}", f"--input={inp}", f"--output={out}",
                              f"--templates={templates}", f"--rate={rate:.0f}", f"--seconds={args.seconds}",
                              f"--ramp-s={args.ramp_s}", f"--partitions={parts}", "--tail-s=60"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             timeout=300 + args.seconds + args.ramp_s)
        line = (gen.stdout.strip().splitlines() or [""])[-1]
        if line.startswith("{"):
            res.update(json.loads(line))
            if gen.returncode == 2:
                res["error"] = f"only {res['seen']:,} of {res['sent']:,} measured records came out within 60 s"
        else:
            res["error"] = f"bench-loadlat failed ({gen.returncode}): {gen.stderr.strip()[-300:]}"
        if proc.poll() is not None:
            res["error"] = f"the contender exited with status {proc.returncode}"
    except subprocess.TimeoutExpired:
        res["error"] = "bench-loadlat did not finish"
    finally:
        cpu, wall = meter.cpu, time.monotonic() - t0
        meter.stop()
        stop(proc)
        if not args.keep_topics:
            kafka.delete(inp, out, *extra, f"{out}_dlq")
    res["cpu_cores"] = round(cpu / wall, 2) if wall > 0 else None  # the contender's cores over the whole run
    res["peak_rss_mb"] = round(meter.peak_rss / 2**20, 1)
    res["log"] = os.path.relpath(logfile, ROOT)
    log(f"{contender.name} at {rate:,.0f} records/s: {res}")
    return res
