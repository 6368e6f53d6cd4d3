#!/usr/bin/python3
"""Latency under load (issue 23, `make bench-latency`): p50 / p99 / p99.9 end-to-end latency, from
a record's produce time to its visibility to a read_committed reader, at 10, 50 and 80 % of the
job's own maximum throughput, at commit intervals of 100 ms and 1 s, for kstream-app exactly_once
and Kafka Streams exactly_once_v2.

Per commit interval: throughput runs of every contender on the data set (the full set; --repeat N,
contenders taking turns, medians) give the job's maximum there; then one latency run per load
and contender at load x the job's maximum (bench-loadlat: a C++ generator and read_committed
reader, bench/kbench/loadlat.py). A contender whose own maximum is below the rate is not run at
that point (marked "saturated": its latency would be queueing, growing with the run's length).

  latency_load.py [--intervals 100,1000] [--loads 10,50,80] [--contenders a,b] [--repeat N]
                  [--seconds 15] [--ramp-s 5]

Writes bench/results/<stamp>-latency.{md,json,png} and latest-latency.{md,png}.
Goal (issue 23): at 100 ms and 50 % load, kstream-app exactly_once p99 <= 200 ms.
"""
import argparse
import os
import sys

from kbench.cli import add_run_options, complete_run_args
from kbench.common import FULL_SET_RECORDS, log
from kbench.contenders import CONTENDERS, Ctx
from kbench.data import ensure_data
from kbench.loadlat import loadlat_binary, run as latency_run
from kbench.reports import fmt, gnuplot, machine_section, publish_latest, span, write_report
from kbench.runs import run_contenders, start_run

GOAL_P99_MS, GOAL_INTERVAL, GOAL_LOAD = 200.0, 100, 50
JOB = "kstream-app-eos"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=int(os.environ.get("BENCH_RECORDS", FULL_SET_RECORDS)))
    p.add_argument("--topic")
    p.add_argument("--intervals", default="100,1000", help="commit intervals, ms")
    p.add_argument("--loads", default="10,50,80", help="percent of the job's maximum records/s")
    p.add_argument("--contenders", default="kstream-app-eos,kafka-streams-eos")
    p.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 1)))
    p.add_argument("--seconds", type=float, default=15, help="measured seconds per latency run")
    p.add_argument("--ramp-s", type=float, default=5, help="unmeasured seconds at the rate first")
    add_run_options(p, latest="latest-latency")
    args = p.parse_args()
    complete_run_args(args)
    ctx = Ctx(args)
    if not loadlat_binary(ctx):
        raise SystemExit("latency_load: bench-loadlat not built (cmake --build build --target bench-loadlat)")
    by_name = {c.name: c for c in CONTENDERS}
    wanted = [by_name[n] for n in args.contenders.split(",") if n]
    if JOB not in {c.name for c in wanted}:
        raise SystemExit(f"latency_load: the loads are fractions of {JOB}'s maximum: it must be a contender")
    stamp, run_id, mach, kafka = start_run("latency_load", ctx, wanted, args)
    data = ensure_data(kafka, args)
    ctx.partitions = len(data["end_offsets"])
    thr, points = [], []
    for ms in [int(x) for x in args.intervals.split(",") if x]:
        ctx.commit_ms = ms
        log(f"commit interval {ms} ms: throughput")
        rows = run_contenders(wanted, ctx, kafka, data, f"{run_id}c{ms}", args, latency_too=False)
        for r in rows:
            r["commit_ms"] = ms
        thr += rows
        top = {r["name"]: r["records_per_s"] if r.get("ok") else None for r in rows}
        if not top.get(JOB):
            log(f"{JOB} failed its throughput run at {ms} ms: no latency runs there")
            continue
        for load in [int(x) for x in args.loads.split(",") if x]:
            rate = top[JOB] * load / 100
            for c in wanted:
                pt = {"name": c.name, "label": c.label, "commit_ms": ms, "load_pct": load, "rate": round(rate),
                      "own_max": top.get(c.name)}
                if not top.get(c.name) or rate > top[c.name]:
                    pt["saturated"] = True
                    log(f"{c.name} at {ms} ms, {load} %: {rate:,.0f} records/s is above its maximum: not run")
                else:
                    pt.update(latency_run(c, ctx, kafka, data, rate, f"{run_id}c{ms}l{load}", args))
                points.append(pt)
    md_path, png = report(thr, points, data, args, stamp, mach)
    log(f"report {md_path}" + (f", chart {png}" if png else ""))
    return 0 if all(r.get("ok") for r in thr) and not any(p.get("error") for p in points) else 1


def goal(points):
    pt = next((p for p in points if p["name"] == JOB and p["commit_ms"] == GOAL_INTERVAL
               and p["load_pct"] == GOAL_LOAD), None)
    if not pt or pt.get("error") or pt.get("saturated") or pt.get("p99_ms") is None:
        return None, "not measured"
    return pt["p99_ms"], "met" if pt["p99_ms"] <= GOAL_P99_MS else "MISSED"


def report(thr, points, data, args, stamp, mach):
    lines = [f"# Latency under load {stamp}", "",
             f"Maximum throughput on `{data['topic']}` ({data['records']:,} records, {len(data['end_offsets'])} "
             f"partitions{', median of %d runs, contenders taking turns' % args.repeat if args.repeat > 1 else ''}); "
             f"then latency runs at a share of kstream-app exactly_once's maximum at the same commit interval: "
             f"{args.ramp_s:g} s at the rate unmeasured, {args.seconds:g} s measured, from each record's produce "
             f"time to a read_committed reader seeing it (bench-loadlat; the generator and reader run on the same "
             f"2 cores). Command: `{' '.join(sys.argv)}`.", "",
             "## Maximum throughput", "",
             "| contender | commit ms | output check | records/s | min-max (spread) | CPU µs/rec | peak RSS MB | load |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in thr:
        sp = r.get("spread")
        lines.append(f"| {r['label']} | {r['commit_ms']} | {'ok' if r.get('ok') else '**FAILED**'} | "
                     f"{fmt(r.get('records_per_s')) if r.get('ok') else '–'} | "
                     f"{span(sp) + (' (%.0f %%)' % sp['pct']) if sp else '–'} | {fmt(r.get('cpu_us_per_record'), 2)} | "
                     f"{fmt(r.get('peak_rss_mb'))} | {fmt(r.get('load_1m'), 2)} |")
    lines += ["", "## Latency under load", "",
              "| contender | commit ms | load | records/s asked | achieved | p50 ms | p99 ms | p99.9 ms | max ms | "
              "contender cores | peak RSS MB | machine load |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in points:
        if p.get("saturated"):
            own = f"{p['own_max']:,}" if p.get("own_max") else "unknown"
            lines.append(f"| {p['label']} | {p['commit_ms']} | {p['load_pct']} % | {p['rate']:,} | saturated (its "
                         f"maximum: {own}) | – | – | – | – | – | – | – |")
            continue
        err = f" ({p['error']})" if p.get("error") else ""
        lines.append(f"| {p['label']} | {p['commit_ms']} | {p['load_pct']} % | {p['rate']:,} | "
                     f"{fmt(p.get('achieved_rate'), 0)}{err} | {fmt(p.get('p50_ms'))} | {fmt(p.get('p99_ms'))} | "
                     f"{fmt(p.get('p999_ms'))} | {fmt(p.get('max_ms'))} | {fmt(p.get('cpu_cores'), 2)} | "
                     f"{fmt(p.get('peak_rss_mb'))} | {fmt(p.get('load_1m'), 2)} |")
    p99, verdict = goal(points)
    lines += ["", f"## Goal (issue 23): at {GOAL_INTERVAL} ms and {GOAL_LOAD} % load, kstream-app exactly_once "
              f"p99 <= {GOAL_P99_MS:.0f} ms", "", f"p99 {fmt(p99)} ms: **{verdict}**.", "",
              "Latency runs are single runs (one per point): read them with the machine load beside them."]
    if data["records"] < FULL_SET_RECORDS:
        lines += ["", f"The maxima here come from {data['records']:,} records, not the full set."]
    md = "\n".join(lines + machine_section(mach))
    base = os.path.join(args.out, f"{stamp}-latency")
    write_report(base, md, {"stamp": stamp, "machine": mach, "manifest": data["manifest"], "throughput": thr,
                            "points": points, "goal": {"p99_ms": p99, "verdict": verdict},
                            "args": {k: v for k, v in vars(args).items() if k != "partial"}})
    print(md)
    png = chart(points, base)
    if not args.no_latest:
        publish_latest(args.out, "latest-latency", base + ".md", png)
    return base + ".md", png


def chart(points, base):
    """One panel per commit interval: p50 / p99 / p99.9 against the load, per contender (log y)."""
    intervals = sorted({p["commit_ms"] for p in points})
    names = list(dict.fromkeys(p["name"] for p in points))
    colors = ["#3572a5", "#c0504d", "#4f9a52", "#8064a2"]
    dats, panels = [], []
    for ms in intervals:
        plots = []
        for i, n in enumerate(names):
            dat = f"{base}.{ms}.{i}.dat"
            dats.append(dat)
            with open(dat, "w") as f:
                for p in points:
                    if p["name"] == n and p["commit_ms"] == ms and p.get("p99_ms") is not None and not p.get("error"):
                        f.write(f"{p['load_pct']} {p['p50_ms']} {p['p99_ms']} {p['p999_ms']}\n")
            label = next(p["label"] for p in points if p["name"] == n)
            c = colors[i % len(colors)]
            if os.path.getsize(dat):
                plots += [f"'{dat}' using 1:3 with linespoints lw 2 pt 7 lc rgb '{c}' title '{label} p99'",
                          f"'{dat}' using 1:2 with linespoints lw 1 dt 3 pt 6 lc rgb '{c}' title 'p50'",
                          f"'{dat}' using 1:4 with linespoints lw 1 dt 2 pt 4 lc rgb '{c}' title 'p99.9'"]
        if ms == GOAL_INTERVAL:
            plots.append(f"{GOAL_P99_MS} with lines dt 2 lw 2 lc rgb '#000000' title 'p99 goal (50 % load)'")
        if plots:
            panels.append(f"set title 'commit interval {ms} ms'\nplot " + ", ".join(plots))
    if not panels:
        return None
    script = f"""
set terminal pngcairo size 1300,600 font 'sans,10' noenhanced
set output '{base}.png'
set multiplot layout 1,{len(panels)} title 'end-to-end latency under load, produce to read_committed ({os.path.basename(base)})'
set xlabel 'load (% of kstream-app exactly_once maximum records/s)'
set ylabel 'ms (log scale)'
set logscale y
set xrange [0:90]
set xtics (10, 50, 80)
set grid
set key below font ',8'
""" + "\n".join(panels) + "\nunset multiplot\n"
    png = gnuplot(script, base + ".png")
    for d in dats:
        os.remove(d)
    return png


if __name__ == "__main__":
    sys.exit(main())
