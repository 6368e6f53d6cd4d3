#!/usr/bin/python3
"""Latency against throughput as the commit interval shrinks (issue 13, `make bench-latency`).

For each commit interval (default 100, 250, 1000 ms) and each exactly-once contender (kstream-app
exactly_once, Kafka Streams exactly_once_v2): a throughput run on the data set (the full set by
default; --repeat N runs, median) and a latency run at a fixed input rate (p50 / p99 from
produce to read_committed read). The limit (kcat pipe, librdkafka C++ passthrough, at its own
1 s interval) takes turns with each interval's throughput runs, so that every interval's
"x limit" divides by a limit measured beside it, under the same machine load: on this 2-core VM
identical CPU-bound work varies by up to 45 % from one minute to the next.

  latency_sweep.py [--records N] [--intervals 100,250,1000] [--contenders a,b] [--repeat N]
                   [--variant NAME:ENV=VALUE[,ENV=VALUE]]...

--variant adds a kstream-app exactly_once contender run with extra environment, e.g.
--variant linger5:KSTREAM_RDKAFKA_LINGER_MS=5 (librdkafka properties reach the job through
KSTREAM_RDKAFKA_* variables): how a configuration change moves the figures, measured side by side.

Writes bench/results/<stamp>-latency.{md,json,png} and latest-latency.{md,png}.
Goal (issue 13): at a 100 ms commit interval, kstream-app exactly_once >= 0.8x the limit's
records/s and p99 <= 250 ms.
"""
import argparse
import copy
import os
import sys

from kbench.cli import add_run_options, complete_run_args
from kbench.common import FULL_SET_RECORDS, log
from kbench.contenders import CONTENDERS, Ctx, kstream_app_settings
from kbench.data import ensure_data
from kbench.reports import (fmt, gnuplot, lat_note, machine_section, publish_latest, rate_range, span,
                            write_report)
from kbench.runs import run_contenders, start_run

GOAL_RATIO, GOAL_P99_MS, GOAL_INTERVAL = 0.8, 250.0, 100


def variant(spec):
    """NAME:ENV=VALUE,... -> a copy of kstream-app-eos with that environment."""
    name, _, envs = spec.partition(":")
    env = dict(kv.split("=", 1) for kv in envs.split(",") if kv)
    if not name or not env or not all(k.startswith("KSTREAM_RDKAFKA_") or k == "BENCH_KSTREAM_APP_ARGS" for k in env):
        raise SystemExit(f"latency_sweep: --variant wants NAME:KSTREAM_RDKAFKA_X=V[,...], got {spec!r}")
    base = next(c for c in CONTENDERS if c.name == "kstream-app-eos")
    c = copy.copy(base)
    c.name, c.label = f"kstream-app-eos-{name}", f"kstream-app exactly_once, {', '.join(f'{k}={v}' for k, v in env.items())}"
    c.env = env
    c.settings = lambda ctx, env=env: kstream_app_settings(ctx) + [f"{k}={v}" for k, v in env.items()]
    return c


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=int(os.environ.get("BENCH_RECORDS", FULL_SET_RECORDS)))
    p.add_argument("--topic")
    p.add_argument("--intervals", default="100,250,1000", help="commit intervals, ms")
    p.add_argument("--contenders", default="kstream-app-eos,kafka-streams-eos")
    p.add_argument("--limits", default="limit-kcat,limit-cpp", help="the limit's contenders ('' for none)")
    p.add_argument("--variant", action="append", default=[], metavar="NAME:ENV=VALUE,...")
    p.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 1)))
    p.add_argument("--lat-rate", type=int, default=1000, help="latency run: records/s")
    p.add_argument("--lat-seconds", type=int, default=20, help="latency run: seconds")
    add_run_options(p, latest="latest-latency")
    args = p.parse_args()
    complete_run_args(args, no_latency=False)
    intervals = [int(x) for x in args.intervals.split(",") if x]
    ctx = Ctx(args)
    by_name = {c.name: c for c in CONTENDERS}
    wanted = [by_name[n] for n in args.contenders.split(",") if n] + [variant(v) for v in args.variant]
    limits = [by_name[n] for n in args.limits.split(",") if n]
    stamp, run_id, mach, kafka = start_run("latency_sweep", ctx, wanted + limits, args)
    data = ensure_data(kafka, args)
    ctx.partitions = len(data["end_offsets"])

    limits = [at_one_second(c) for c in limits]
    limit_names = {c.name for c in limits}
    rows, lim_rows = [], []
    for ms in intervals:
        ctx.commit_ms = ms
        log(f"commit interval {ms} ms")
        for r in run_contenders(limits + wanted, ctx, kafka, data, f"{run_id}c{ms}", args, latency_too=True,
                                      no_latency_for=limit_names):
            r["commit_ms"] = ms
            (lim_rows if r["name"] in limit_names else rows).append(r)
    limit = limits_by_interval(lim_rows)
    md_path, png = report(rows, lim_rows, limit, data, args, stamp, mach)
    log(f"report {md_path}" + (f", chart {png}" if png else ""))
    return 0 if all(r.get("ok") for r in rows + lim_rows) else 1


def at_one_second(limit):
    """The limit contender with its own commit interval pinned at 1 s (the C++ passthrough has
    one), whatever interval the contenders beside it run at: it stands for the machine's pace."""
    c = copy.copy(limit)

    def pinned(ctx):
        fixed = copy.copy(ctx)
        fixed.commit_ms = 1000
        return fixed

    c.command = lambda ctx, *rest, run=limit.command: run(pinned(ctx), *rest)
    c.settings = lambda ctx, settings=limit.settings: settings(pinned(ctx))
    return c


def limits_by_interval(lim_rows):
    """Per commit interval, the faster limit row of the runs beside that interval's runs."""
    out = {}
    for r in lim_rows:
        best = out.get(r["commit_ms"])
        if r.get("ok") and r.get("records_per_s") and (best is None or r["records_per_s"] > best["records_per_s"]):
            out[r["commit_ms"]] = r
    return out


def limit_rate(limit, ms):
    row = limit.get(ms)
    return row["records_per_s"] if row else None


def goals(rows, limit):
    out = []
    lim = limit_rate(limit, GOAL_INTERVAL)
    for r in rows:
        if r["name"] != "kstream-app-eos" and not r["name"].startswith("kstream-app-eos-"):
            continue
        if r["commit_ms"] != GOAL_INTERVAL:
            continue
        lat = r.get("latency") or {}
        x = r["records_per_s"] / lim if r.get("ok") and lim and r.get("records_per_s") else None
        p99 = lat.get("p99_ms") if not lat.get("error") else None
        out.append((r["label"], x, p99))
    return out


def report(rows, lim_rows, limit, data, args, stamp, mach):
    repeat = max(1, args.repeat)
    lines = [f"# Latency sweep {stamp}: commit interval against throughput and latency", "",
             f"Throughput on `{data['topic']}` ({data['records']:,} records, {len(data['end_offsets'])} partitions"
             f"{', median of %d runs' % repeat if repeat > 1 else ''}); latency: {args.lat_rate:,} records/s for "
             f"{args.lat_seconds} s into a fresh topic while the contender runs, produce time to read_committed "
             f"read. Command: `{' '.join(sys.argv)}`.", "",
             "The limit (no commit interval; passthroughs at 1 s), run in turns with each interval's "
             "runs; \"x limit\" divides by the faster limit of the same interval:", ""] + [
                 f"- beside {ms} ms: " + ", ".join(
                     f"{r['label']} {fmt(r.get('records_per_s')) if r.get('ok') else 'FAILED'}"
                     + (f" ({r['spread']['min']:,}-{r['spread']['max']:,})" if r.get("spread") else "")
                     for r in lim_rows if r["commit_ms"] == ms)
                 + (f"; the limit is {fmt(limit_rate(limit, ms))} records/s." if limit_rate(limit, ms) else ".")
                 for ms in sorted({r["commit_ms"] for r in lim_rows})] + ["",
             "| contender | commit interval ms | output check | records/s | min-max | x limit | CPU µs/rec | "
             "peak RSS MB | latency p50 ms | p99 ms | max ms |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lat = r.get("latency") or {}
        lim = limit_rate(limit, r["commit_ms"])
        x = r["records_per_s"] / lim if r.get("ok") and lim and r.get("records_per_s") else None
        sp = r.get("spread")
        lines.append(f"| {r['label']} | {r['commit_ms']} | {'ok' if r.get('ok') else '**FAILED**'} | "
                     f"{fmt(r.get('records_per_s')) if r.get('ok') else '–'} | "
                     f"{span(sp)} | "
                     f"{f'{x:.2f}' if x else '–'} | {fmt(r.get('cpu_us_per_record'), 2)} | "
                     f"{fmt(r.get('peak_rss_mb'))} | {fmt(lat.get('p50_ms'))} | "
                     f"{fmt(lat.get('p99_ms'))} | {fmt(lat.get('max_ms'))}{lat_note(r)} |")
    lines += ["", f"## Goal (issue 13): at {GOAL_INTERVAL} ms, exactly_once >= {GOAL_RATIO}x the limit and "
              f"p99 <= {GOAL_P99_MS:.0f} ms", "", "| contender | x limit | p99 ms | |", "|---|---:|---:|---|"]
    for label, x, p99 in goals(rows, limit):
        ok = x is not None and p99 is not None and x >= GOAL_RATIO and p99 <= GOAL_P99_MS
        lines.append(f"| {label} | {f'{x:.2f}' if x else '–'} | {fmt(p99)} | {'met' if ok else 'MISSED'} |")
    if data["records"] < FULL_SET_RECORDS:
        lines += ["", f"Throughput here is on {data['records']:,} records, not the full set: start-up and the "
                  "last commit weigh more, so ratios to the limit read low."]
    lines += ["", "## Non-default settings", ""]
    seen = set()
    for r in lim_rows + rows:
        if r["name"] not in seen:
            seen.add(r["name"])
            lines.append(f"- **{r['label']}**: " + "; ".join(
                s for s in (r.get("settings") or ["none"]) if not s.startswith(("job.commit-interval-ms",
                                                                                 "commit.interval.ms"))))
    lines += ["", "The commit interval is the swept one (kstream-app `job.commit-interval-ms`, default 1000; "
              "Kafka Streams `commit.interval.ms`, default 100 under exactly_once_v2)."]
    md = "\n".join(lines + machine_section(mach))
    base = os.path.join(args.out, f"{stamp}-latency")
    write_report(base, md, {"stamp": stamp, "machine": mach, "manifest": data["manifest"], "limit": lim_rows,
                            "rows": rows, "args": {k: v for k, v in vars(args).items() if k != "partial"}})
    print(md)
    png = chart(rows, limit, base)
    if not args.no_latest:
        publish_latest(args.out, "latest-latency", base + ".md", png)
    return base + ".md", png


def chart(rows, limit, base):
    """Two panels over the commit interval: records/s (with 0.8x each interval's limit) and p50/p99."""
    names = []
    for r in rows:
        if r["name"] not in names:
            names.append(r["name"])
    files = []
    for i, n in enumerate(names):
        dat = f"{base}.{i}.dat"
        with open(dat, "w") as f:
            for r in rows:
                if r["name"] == n and r.get("ok"):
                    lat = r.get("latency") or {}
                    sp = rate_range(r)
                    f.write(f"{r['commit_ms']} {r['records_per_s']} {sp['min']} {sp['max']} "
                            f"{lat.get('p50_ms', 'NaN')} {lat.get('p99_ms', 'NaN')}\n")
        label = next(r["label"] for r in rows if r["name"] == n).replace("KSTREAM_RDKAFKA_", "")
        files.append((dat, label))
    files_extra = []
    colors = ["#3572a5", "#c0504d", "#4f9a52", "#8064a2", "#f79646"]
    thr = ", ".join(f"'{d}' using 1:2:3:4 with yerrorlines lw 2 lc rgb '{colors[i % 5]}' title '{lab}'"
                    for i, (d, lab) in enumerate(files))
    if limit:
        dat = f"{base}.limit.dat"
        with open(dat, "w") as f:
            for ms in sorted(limit):
                f.write(f"{ms} {0.8 * limit[ms]['records_per_s']}\n")
        files_extra.append(dat)
        thr += f", '{dat}' using 1:2 with linespoints dt 2 pt 2 lc rgb '#000000' title '0.8x the limit beside it'"
    lat = ", ".join(f"'{d}' using 1:6 with linespoints lw 2 pt 7 lc rgb '{colors[i % 5]}' title '{lab} p99', "
                    f"'{d}' using 1:5 with linespoints lw 1 dt 3 pt 6 lc rgb '{colors[i % 5]}' title 'p50'"
                    for i, (d, lab) in enumerate(files))
    lat += f", {GOAL_P99_MS} with lines dt 2 lc rgb '#000000' title 'p99 goal {GOAL_P99_MS:.0f} ms'"
    script = f"""
set terminal pngcairo size 1300,640 font 'sans,10' noenhanced
set output '{base}.png'
set multiplot layout 1,2 title 'exactly-once: commit interval against throughput and latency ({os.path.basename(base)})'
set logscale x
set xrange [70:1500]
set xtics (100, 250, 500, 1000)
set xlabel 'commit interval (ms)'
set grid
set key below font ',8'
set yrange [0:*]
set title 'throughput (records/s, higher is better; bars: min-max)'
plot {thr}
set title 'latency at a fixed input rate (ms, log scale, lower is better)'
set logscale y
set yrange [10:*]
plot {lat}
unset multiplot
"""
    png = gnuplot(script, base + ".png")
    for d in [d for d, _ in files] + files_extra:
        os.remove(d)
    return png


if __name__ == "__main__":
    sys.exit(main())
