#!/usr/bin/python3
"""Cost as the work grows (issue 13, `make bench-scale`): records/s, CPU µs per record and peak
RSS of kstream-app as the data set grows (0.2 M, 2.19 M, 10 M records, 3 partitions) and as the
input's partitions grow (3, 12, 48, 96, on the full set). Goals (issue 23): CPU per record within
+-15 % of the 2.19 M-record, 3-partition point everywhere, and peak RSS within the job's in-flight
bytes bound (job.max-in-flight-bytes) at every point.

Data: 0.2 M and 2.19 M come from scripts/load-expedia.sh (the generator and Kafka Connect, as
for `make bench`). Larger sets and other partition counts are derived from the full set by
copying it: copy k of record id i gets id i + k * 2,189,130 (the rest of the value unchanged),
partition = new id mod P, lz4 batches like the loader's; the manifest (per category records and
distinct hotels, per partition counts) is computed while copying. Topics and manifests are kept
for the next run (bench_in_<records> / bench_in_<records>_p<P>).

  scale.py [--sizes 200000,2189130,10000000] [--partitions 3,12,48,96] [--partitions-records N]
           [--contenders kstream-app-eos] [--repeat N]

Writes bench/results/<stamp>-scale.{md,json,png} and latest-scale.{md,png}.
"""
import argparse
import json
import os
import re
import sys
import time

from confluent_kafka import Producer

import contract
from kbench.checks import ID_RE, hotel_id, oracle_category
from kbench.cli import add_run_options, complete_run_args
from kbench.common import FULL_SET_RECORDS, ROOT, log
from kbench.contenders import CONTENDERS, Ctx
from kbench.data import cached_manifest, ensure_data, finish_data, manifest_path
from kbench.kafka_io import read_topic
from kbench.reports import fmt, gnuplot, machine_section, publish_latest, span, write_report
from kbench.runs import run_contenders, start_run


def load(kafka, args, records, partitions):
    """The data set of `records` records in `partitions` partitions (loaded or derived)."""
    a = argparse.Namespace(**vars(args))
    a.records, a.topic = records, None
    if partitions == 3 and records <= FULL_SET_RECORDS:
        return ensure_data(kafka, a)
    a.records, a.topic = FULL_SET_RECORDS, None
    src = ensure_data(kafka, a)
    topic = f"bench_in_{records}" + (f"_p{partitions}" if partitions != 3 else "")
    mpath = manifest_path(topic)
    cached = cached_manifest(kafka, topic, records, args.reload, partitions=partitions)
    if cached:
        log(f"reusing derived topic {topic}")
        a.records, a.topic = records, topic
        return finish_data(kafka, topic, *cached, a)
    derive(kafka, src, topic, records, partitions, mpath)
    with open(mpath) as f:
        manifest = json.load(f)
    a.records, a.topic = records, topic
    return finish_data(kafka, topic, manifest, kafka.end_offsets(topic), a)


def derive(kafka, src, topic, records, partitions, mpath):
    n_src = src["records"]
    log(f"deriving {topic}: {records:,} records in {partitions} partitions from {src['topic']}")
    kafka.recreate(topic, partitions=partitions)
    prod = Producer({"bootstrap.servers": kafka.bootstrap, "linger.ms": 50, "batch.num.messages": 10000,
                     "compression.type": "lz4", "enable.idempotence": True,
                     "queue.buffering.max.messages": 500000})
    cats = {c: [0, set()] for c in contract.CATEGORIES}
    per_part = [0] * partitions
    written = [0]
    t0 = time.monotonic()

    class Done(Exception):
        pass

    def copy_one(k):
        def on_record(p, key, value):
            if written[0] >= records:
                raise Done()
            m = ID_RE.search(value)
            new_id = int(m.group(1)) + k * n_src
            if k:
                value = value[:m.start(1)] + str(new_id).encode() + value[m.end(1):]
            part = new_id % partitions
            while True:
                try:
                    prod.produce(topic, value, key, partition=part)
                    break
                except BufferError:
                    prod.poll(0.05)
            per_part[part] += 1
            cat = oracle_category(value)
            cats[cat][0] += 1
            cats[cat][1].add(hotel_id(value))
            written[0] += 1
            if written[0] % 500000 == 0:
                prod.poll(0)
                log(f"  {written[0]:,} records ({written[0] / (time.monotonic() - t0):,.0f}/s)")
        return on_record

    k = 0
    try:
        while written[0] < records:
            read_topic(kafka.bootstrap, src["topic"], copy_one(k))
            k += 1
    except Done:
        pass
    if prod.flush(120) != 0:
        raise SystemExit(f"scale: could not write {topic}")
    manifest = {"records": records, "seed": src["manifest"].get("seed"), "per_partition": per_part,
                "generator": f"bench/scale.py: {src['topic']} copied (ids renumbered, partition = id mod "
                             f"{partitions})",
                # distinct hotels counted as kbench.checks.check_output counts them
                "categories": [{"stay_category": c, "records": v[0], "distinct_hotels": len(v[1])}
                               for c, v in cats.items()]}
    os.makedirs(os.path.dirname(mpath), exist_ok=True)
    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=1)
    log(f"derived {topic} in {time.monotonic() - t0:.0f} s")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="200000,2189130,10000000")
    p.add_argument("--partitions", default="3,12,48,96")
    p.add_argument("--partitions-records", type=int, default=FULL_SET_RECORDS)
    p.add_argument("--contenders", default="kstream-app-eos")
    p.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 1)))
    p.add_argument("--commit-ms", type=int, default=1000)
    p.add_argument("--once-above", type=int, default=FULL_SET_RECORDS,
                   help="points with more records than this run once, not --repeat times (10 M: minutes each)")
    p.add_argument("--output-compression", default="lz4",
                   help="the output topics' compression.type (the broker compresses what the job writes "
                   "uncompressed: a 10 M output takes about 4.4 GB uncompressed; 'producer' keeps Kafka's default)")
    add_run_options(p, latest="latest-scale")
    args = p.parse_args()
    args.output_topic_config = {"compression.type": args.output_compression}
    complete_run_args(args, topic=None, lat_rate=1000, lat_seconds=20)
    ctx = Ctx(args)
    by_name = {c.name: c for c in CONTENDERS}
    wanted = [by_name[n] for n in args.contenders.split(",") if n]
    stamp, run_id, mach, kafka = start_run("scale", ctx, wanted, args)
    sizes = [int(n) for n in args.sizes.split(",") if n]
    points = [(n, 3) for n in sizes if n <= args.partitions_records]
    points += [(args.partitions_records, int(q)) for q in args.partitions.split(",") if q
               and (args.partitions_records, int(q)) not in points]
    points += [(n, 3) for n in sizes if n > args.partitions_records]  # the longest last
    rows = []
    for n, parts in points:
        data = load(kafka, args, n, parts)
        ctx.partitions = parts
        point_args = argparse.Namespace(**dict(vars(args), repeat=1 if n > args.once_above else args.repeat))
        for r in run_contenders(wanted, ctx, kafka, data, f"{run_id}n{n}p{parts}", point_args, latency_too=False):
            r.update(records=n, partitions=parts)
            rows.append(r)
            log(f"{r['name']} {n:,} records, {parts} partitions: {r.get('records_per_s')} rec/s, "
                      f"{r.get('cpu_us_per_record')} µs/rec, {r.get('peak_rss_mb')} MB, ok={r.get('ok')}")
    report(rows, args, stamp, mach)
    return 0 if all(r.get("ok") for r in rows) else 1


def report(rows, args, stamp, mach):
    repeat = max(1, args.repeat)
    lines = [f"# Cost as the work grows {stamp}", "",
             f"kstream-app on data sets of growing size (3 partitions) and on the {args.partitions_records:,}-record "
             f"set with more partitions (input and output topics alike); commit interval {args.commit_ms} ms; output "
             f"topics with compression.type={args.output_compression}; points above {args.once_above:,} records run once"
             f"{', median of %d runs' % repeat if repeat > 1 else ''}. Every output checked against its manifest. "
             f"Command: `{' '.join(sys.argv)}`.", "",
             "| contender | records | partitions | output check | wall s | records/s | min-max | CPU s | "
             "CPU µs/rec | CPU min-max | peak RSS MB | broker CPU s | load |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        sp = r.get("spread")
        lines.append(f"| {r['label']} | {r['records']:,} | {r['partitions']} | "
                     f"{'ok' if r.get('ok') else '**FAILED** ' + r.get('error', '') + ' ' + r.get('check', {}).get('detail', '')} | "
                     f"{fmt(r.get('wall_s'), 2)} | {fmt(r.get('records_per_s'))} | "
                     f"{span(sp)} | {fmt(r.get('cpu_s'), 2)} | "
                     f"{fmt(r.get('cpu_us_per_record'), 2)} | {cpu_range(r)} | {fmt(r.get('peak_rss_mb'))} | "
                     f"{fmt(r.get('broker_cpu_s'), 2)} | {fmt(r.get('load_1m'), 2)} |")
    lines += goals(rows, args)
    md = "\n".join(lines + machine_section(mach))
    print(md)
    base = os.path.join(args.out, f"{stamp}-scale")
    write_report(base, md, {"stamp": stamp, "machine": mach, "rows": rows,
                            "args": {k: v for k, v in vars(args).items() if k != "partial"}})
    png = chart(rows, base)
    if not args.no_latest:
        publish_latest(args.out, "latest-scale", base + ".md", png)
    log(f"report {base}.md" + (f", chart {png}" if png else ""))


def cpu_range(row):
    xs = [x["cpu_us_per_record"] for x in row.get("runs") or [] if x.get("cpu_us_per_record")]
    return f"{min(xs):.2f}-{max(xs):.2f}" if len(xs) > 1 else "–"


def in_flight_bytes_bound():
    """job.max-in-flight-bytes as the runs use it: BENCH_KSTREAM_APP_ARGS, else app/caf-application.ini."""
    m = re.search(r"--job\.max-in-flight-bytes=(\d+)", os.environ.get("BENCH_KSTREAM_APP_ARGS", ""))
    if m:
        return int(m.group(1))
    with open(os.path.join(ROOT, "app/caf-application.ini")) as f:
        m = re.search(r"^max-in-flight-bytes\s*=\s*(\d+)", f.read(), re.M)
    return int(m.group(1)) if m else None


FLAT = 0.15  # CPU per record within +-15 % of the reference point


def goals(rows, args):
    """Issue 23's goals, per point: CPU per record against the full-set 3-partition point, peak RSS
    against job.max-in-flight-bytes."""
    ok = [r for r in rows if r.get("ok")]
    ref = next((r for r in ok if r["records"] == args.partitions_records and r["partitions"] == 3), None)
    bound = in_flight_bytes_bound()
    out = ["", f"## Goals (issue 23): CPU per record within +-{FLAT:.0%} of the {args.partitions_records:,}-record "
           f"3-partition point; peak RSS within job.max-in-flight-bytes ({bound / 2**20:,.0f} MiB)" if bound else "",
           "", "| records | partitions | CPU µs/rec | vs reference | flat? | peak RSS MB | within the bound? |",
           "|---:|---:|---:|---:|---|---:|---|"]
    for r in ok:
        dev = r["cpu_us_per_record"] / ref["cpu_us_per_record"] - 1 if ref else None
        out.append(f"| {r['records']:,} | {r['partitions']} | {r['cpu_us_per_record']} | "
                   f"{'–' if dev is None else f'{dev:+.0%}'} | {'–' if dev is None else ('yes' if abs(dev) <= FLAT else 'NO')} | "
                   f"{r['peak_rss_mb']} | {'–' if not bound else ('yes' if r['peak_rss_mb'] * 2**20 <= bound else 'NO')} |")
    return out


def chart(rows, base):
    size_dat, part_dat = base + ".size.dat", base + ".part.dat"
    psize = max((r["records"] for r in rows if r["partitions"] != 3), default=None)
    with open(size_dat, "w") as f:
        for r in sorted((r for r in rows if r["partitions"] == 3 and r.get("ok")), key=lambda r: r["records"]):
            f.write(f"{r['records'] / 1e6} {r['records_per_s']} {r['cpu_us_per_record']} {r['peak_rss_mb']}\n")
    with open(part_dat, "w") as f:
        for r in sorted((r for r in rows if r["records"] == psize and r.get("ok")), key=lambda r: r["partitions"]):
            f.write(f"{r['partitions']} {r['records_per_s']} {r['cpu_us_per_record']} {r['peak_rss_mb']}\n")
    try:
        return draw(base, [(dat, xl) for dat, xl in ((size_dat, "records (millions, 3 partitions)"),
                                                     (part_dat, "input partitions")) if os.path.getsize(dat) > 0])
    finally:
        os.remove(size_dat)
        os.remove(part_dat)


def draw(base, panels):
    """<base>.png: per panel (data file, x label) records/s, CPU per record and peak RSS, or None."""
    if not panels:
        return None
    plots = []
    for dat, xl in panels:
        for col, title, color in ((2, "records/s", "#3572a5"), (3, "CPU µs per record", "#4f9a52"),
                                  (4, "peak RSS MB", "#c0504d")):
            plots.append(f"set xlabel '{xl}'\nset title '{title}'\n"
                         f"plot '{dat}' using 1:{col} with linespoints lw 2 pt 7 lc rgb '{color}' notitle, "
                         f"'' using 1:{col}:(sprintf('%.{0 if col != 3 else 2}f', ${col})) with labels offset 0,1 "
                         "font ',8' notitle")
    script = f"""
set terminal pngcairo size 1400,{400 * len(panels)} font 'sans,10' noenhanced
set output '{base}.png'
set multiplot layout {len(panels)},3 title 'kstream-app: cost as the work grows ({os.path.basename(base)})'
set grid
set yrange [0:*]
set xrange [0:*]
set offsets 0, graph 0.08, graph 0.15, 0
""" + "\n".join(plots) + "\nunset multiplot\n"
    return gnuplot(script, base + ".png")


if __name__ == "__main__":
    sys.exit(main())
