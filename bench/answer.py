#!/usr/bin/python3
"""The answer against its engine (issue 23, item 5): time to the final table of records and
distinct hotels per stay category, kstream-stats --job.drain against ksql/stay_counts.sql's
two-level exact aggregation as the Kafka Streams topology ksqlDB would run (exactly_once_v2;
bench/kafka-streams StayCountsApp), both reading the same enriched topic, both final tables
checked against the data set's manifest.

  bench/answer.py --records 2189130 --repeat 3
  bench/answer.py --records 10000000 --repeat 3     # the 10 M set (generated and loaded once, kept)

The enriched topic (answer_ext_<records>) is made once from the bench input topic by
kstream-app --job.drain and kept. Report: bench/results/<stamp>-answer-<records>.{md,json},
bench/results/latest-answer-<records>.md.
"""
import os
import sys
import types

from kbench import answer as A  # noqa: E402
from kbench.cli import add_run_options  # noqa: E402
from kbench.common import log, new_run  # noqa: E402
from kbench.data import ensure_data, manifest_path  # noqa: E402
from kbench.kafka_io import Kafka  # noqa: E402
from kbench.reports import machine, machine_section, publish_latest, write_report  # noqa: E402
from kbench.runs import median  # noqa: E402
import argparse  # noqa: E402


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=2189130)
    p.add_argument("--topic", help="input topic (default bench_in_<records>)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--contenders", default=",".join(A.AGG_CONTENDERS))
    p.add_argument("--commit-ms", type=int, default=1000)
    add_run_options(p)
    args = p.parse_args()
    args.deep = False
    return args


def fmt(x):
    return "–" if x is None else (f"{x:,.2f}" if isinstance(x, float) and x < 100 else f"{round(x):,}")


def combine(runs):
    row = dict(runs[-1])
    row["runs"] = [{k: r.get(k) for k in ("wall_s", "records_per_s", "cpu_s", "peak_rss_mb", "ok", "load1")}
                   for r in runs]
    for k in ("wall_s", "records_per_s", "cpu_s", "cpu_us_per_record", "peak_rss_mb", "load1"):
        row[k] = median(r.get(k) for r in runs)
    row["ok"] = all(r["ok"] for r in runs)
    if not row["ok"]:
        row["error"] = "; ".join(f"run {i + 1}: {r.get('error', '')} {r['check']['detail']}"
                                 for i, r in enumerate(runs) if not r["ok"])
    walls = [r["wall_s"] for r in runs]
    row["wall_range"] = (min(walls), max(walls))
    return row


def report(rows, args, data, stamp, mach):
    n = args.records
    stats = next((r for r in rows if r["name"] == "kstream-stats"), None)
    peers = [r for r in rows if r["name"] != "kstream-stats" and r["ok"]]
    best = min(peers, key=lambda r: r["wall_s"]) if peers else None
    md = [f"# The answer against its engine: {n:,} records ({stamp})", "",
          f"`bench/answer.py --records {n} --repeat {args.repeat}`: time from the start of the process to the "
          "final table (records and distinct hotels per stay category), median of the runs (range); both "
          f"tables checked against the manifest. Input: `{data['input_topic']}` enriched by kstream-app into "
          f"`{data['enriched']}` ({len(data['end_offsets'])} partitions). Load: the 1-minute load average "
          "at each run's start (2 cores).", "",
          "| contender | table check | time to the final table s (range) | records/s | CPU s | CPU µs/record "
          "| peak RSS MB | load (range) |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        loads = [x["load1"] for x in r["runs"]]
        md.append(f"| {r['name']} | {'exact' if r['ok'] else 'FAILED: ' + r.get('error', '')} | {fmt(r['wall_s'])} "
                  f"({fmt(r['wall_range'][0])}-{fmt(r['wall_range'][1])}) | {fmt(r['records_per_s'])} | "
                  f"{fmt(r['cpu_s'])} | {fmt(r['cpu_us_per_record'])} | {fmt(r['peak_rss_mb'])} | "
                  f"{fmt(median(loads))} ({fmt(min(loads))}-{fmt(max(loads))}) |")
    if stats and best and stats["ok"]:
        ratio = best["wall_s"] / stats["wall_s"]
        md += ["", f"kstream-stats: **{ratio:.1f}x** faster than Kafka Streams ({best['name']}, the faster peer) "
               f"on medians; goal >= 5x: **{'met' if ratio >= 5 else 'missed'}**. Per round: "
               + ", ".join(f"{p['wall_s'] / s['wall_s']:.1f}x" for p, s in zip(best["runs"], stats["runs"]))]
    md += ["", "## Settings", ""] + [f"- {r['name']}: " + "; ".join(A.settings(r["name"], args)) for r in rows]
    md += machine_section(mach)
    base = os.path.join(args.out, f"{stamp}-answer-{n}")
    write_report(base, "\n".join(md), {"stamp": stamp, "records": n, "machine": mach, "rows": rows,
                                       "manifest": data["manifest"]})
    if not args.no_latest:
        publish_latest(args.out, f"latest-answer-{n}", base + ".md", None)
    return base + ".md", "\n".join(md)


def main():
    args = parse()
    names = args.contenders.split(",")
    unknown = set(names) - set(A.AGG_CONTENDERS)
    if unknown:
        raise SystemExit(f"answer: unknown contenders {sorted(unknown)} (known: {', '.join(A.AGG_CONTENDERS)})")
    ctx = types.SimpleNamespace()
    stamp, run_id = new_run(ctx)
    mach = machine()
    kafka = Kafka(args.bootstrap)
    data = ensure_data(kafka, args)
    data["manifest_path"] = manifest_path(data["topic"])
    data["enriched"] = A.ensure_enriched(kafka, args, data, ctx.runtmp)
    data = dict(data, input_topic=data["topic"], topic=data["enriched"])
    runs = {n: [] for n in names}
    for i in range(args.repeat):
        for name in names:  # contenders take turns, so that a burst of load hits them alike
            log(f"{name}: run {i + 1} of {args.repeat}")
            load1 = os.getloadavg()[0]
            runs[name].append(dict(A.run_one(name, args, kafka, data, f"{run_id}r{i + 1}", ctx.runtmp),
                                   load1=round(load1, 2)))
    rows = [combine(runs[n]) | {"settings": A.settings(n, args)} for n in names]
    path, md = report(rows, args, data, stamp, mach)
    print(md)
    log(f"report {path}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
