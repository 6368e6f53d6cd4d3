#!/usr/bin/python3
"""The whole pipeline, stage by stage, as `make demo FULL=1` runs it (issue 23, item 4):

  blob files -(az upload-batch)-> Azurite -(Kafka Connect, blob Avro source)-> input topic
  -(kstream-app --job.drain, exactly once)-> output topic -(kstream-stats --job.drain)-> the table

Per stage: wall, records/s, CPU seconds (and µs per record) of the processes doing the work, the
1-minute load average when it started; the end-to-end time is the stages' sum (the demo runs them
one after the other). The final table is checked against the manifest in every run
(kstream-stats --expect-manifest). --repeat N runs the pipeline N times, the connector variants
taking turns within each round; the report gives medians and ranges.

  bench/pipeline.py --records 2189130 --repeat 3
  bench/pipeline.py --variant old --variant shipped --variant t2:tasks.max=2   # Connect settings side by side
  bench/pipeline.py --connect-only --profile      # a JFR recording of the worker (bench/results/tmp/)

Report: bench/results/<stamp>-pipeline.{md,json}, bench/results/latest-pipeline.md.
"""
import argparse
import os
import subprocess
import sys
import types

from kbench import pipeline as P  # noqa: E402
from kbench.common import BENCH, ROOT, log, new_run  # noqa: E402
from kbench.kafka_io import Kafka  # noqa: E402
from kbench.reports import gnuplot, machine, machine_section, publish_latest, write_report  # noqa: E402
from kbench.runs import median  # noqa: E402


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=int(os.environ.get("BENCH_RECORDS", 2189130)))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--variant", action="append", default=[],
                   help="connector settings: old, shipped (default), or NAME:KEY=VALUE,KEY=VALUE")
    p.add_argument("--connect-only", action="store_true", help="upload and Connect stages only")
    p.add_argument("--profile", action="store_true", help="record the Connect worker with JFR (restarts it)")
    p.add_argument("--bootstrap", default=os.environ.get("BENCH_BOOTSTRAP", "127.0.0.1:9092"))
    p.add_argument("--build-dir", default=os.environ.get("BENCH_BUILD_DIR", "build"))
    p.add_argument("--out", default=os.path.join(BENCH, "results"))
    p.add_argument("--no-latest", action="store_true")
    p.add_argument("--render", metavar="RESULTS.json", help="write the report of an earlier run again (no run)")
    return p.parse_args()


def dataset(build, records, seed):
    out = subprocess.run([os.path.join(build, "tools/kstream-datagen"), "--records", str(records), "--seed", str(seed)],
                         check=True, stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1]
    return out, os.path.join(out, "manifest.json")


def one_round(svc, kafka, args, rnd, variants, data_dir, manifest, files, run_id, tmp):
    import json
    partitions = json.load(open(manifest))["partitions"]
    rows = []
    container = f"pipe-{run_id}-r{rnd}"
    up = P.upload(svc, data_dir, container, args.records)
    for name, sets in variants:
        rid = f"{run_id}r{rnd}{name.replace('-', '')}"
        inp, out = f"pipe_in_{rid}", f"pipe_ext_{rid}"
        kafka.create(inp, partitions=partitions)
        kafka.create(out, f"{out}_dlq", partitions=partitions)
        stages = [up, P.connect_load(svc, container, inp, args.records, files, f"pipe-{rid}", sets,
                                     timeout=600 + args.records / 1000)]
        if not args.connect_only:
            logf = os.path.join(tmp, f"{rid}.log")
            stages.append(P.job(svc, args.build_dir, inp, out, args.records, rid, logf, 600))
            stages.append(P.stats(svc, args.build_dir, out, args.records, manifest, rid, logf, 600))
        kafka.delete(inp, out, f"{out}_dlq")
        rows.append({"variant": name, "round": rnd, "stages": stages,
                     "end_to_end_s": round(sum(s["wall_s"] for s in stages), 2)})
    subprocess.run(["az", "storage", "container", "delete", "--name", container, "-o", "none"], env=svc.az_env)
    return rows


def fmt(x):
    return "–" if x is None else (f"{x:,.2f}" if isinstance(x, float) and x < 100 else f"{round(x):,}")


def rng(xs):
    xs = [x for x in xs if x is not None]
    return f"{fmt(min(xs))}-{fmt(max(xs))}" if len(xs) > 1 else "–"


def stage_label(stage):
    """A stage's name without the run's topic names ("Kafka Connect -> pipe_in_…: …")."""
    return stage["stage"].split(":")[0].split(" -> pipe")[0]


def chart(runs, variants, base):
    """<base>.png: each stage's median records/s, the connector variants side by side, and the
    median end-to-end time in the legend; None without gnuplot."""
    dat = base + ".dat"
    names = [name for name, _ in variants]
    stages = [stage_label(st) for st in runs[0]["stages"]]
    with open(dat, "w") as f:
        for i, label in enumerate(stages):
            row = [median(r["stages"][i]["records_per_s"] for r in runs if r["variant"] == name) for name in names]
            f.write(f'"{label}" ' + " ".join("0" if v is None else str(round(v)) for v in row) + "\n")
    e2e = {name: median(r["end_to_end_s"] for r in runs if r["variant"] == name) for name in names}
    plots = ", ".join(f"'{dat}' using {i + 2}:xtic(1) title '{name} (end to end {e2e[name]:.0f} s)'"
                      for i, name in enumerate(names))
    script = f"""
set terminal pngcairo size 1100,500 font 'sans,10' noenhanced
set output '{base}.png'
set title 'The whole pipeline, stage by stage: median records/s ({os.path.basename(base)})'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set yrange [0:*]
set ylabel 'records/s'
set key top right
set offsets 0, 0, graph 0.12, 0
plot {plots}
"""
    try:
        return gnuplot(script, base + ".png")
    finally:
        os.remove(dat)


def report(runs, variants, args, stamp, mach):
    md = [f"# The whole pipeline: {args.records:,} records ({stamp})", "",
          f"`bench/pipeline.py --records {args.records} --repeat {args.repeat}"
          + "".join(f" --variant {n}" for n, _ in variants) + "`; medians of the rounds, range beside;"
          " load = 1-minute load average when the stage started (2 cores: above 2 the stage waited for CPU).", ""]
    for name, sets in variants:
        mine = [r for r in runs if r["variant"] == name]
        md += [f"## Connector `{name}`" + (f": {', '.join(f'{k}={v}' for k, v in sets.items())}" if sets else
                                            ": connect/expedia-azure-blob-source.json as shipped"), "",
               "| stage | wall s (range) | records/s (range) | CPU µs/record, by process | load (range) |",
               "|---|---:|---:|---|---:|"]
        for i, st in enumerate(mine[0]["stages"]):
            col = [r["stages"][i] for r in mine]
            cpu = {k: median(c["cpu_us_per_record"].get(k) for c in col) for k in st["cpu_us_per_record"]}
            md.append(f"| {stage_label(st)} | {fmt(median(c['wall_s'] for c in col))} "
                      f"({rng([c['wall_s'] for c in col])}) | {fmt(median(c['records_per_s'] for c in col))} "
                      f"({rng([c['records_per_s'] for c in col])}) | "
                      + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items() if v is not None)
                      + f" | {fmt(median(c['load1_at_start'] for c in col))} ({rng([c['load1_at_start'] for c in col])}) |")
            steady = [c.get("steady_records_per_s") for c in col if c.get("steady_records_per_s")]
            if steady:
                md.append(f"| … Connect after its first commit | | {fmt(median(steady))} ({rng(steady)}) | | |")
            if "connect_threads_cpu_s" in st:
                kinds = sorted({k for c in col for k in c.get("connect_threads_cpu_s", {})})
                per = {k: median(c["connect_threads_cpu_s"].get(k, 0.0) * 1e6 / c["records"] for c in col) for k in kinds}
                md.append("| … the worker's CPU by thread | | | " + ", ".join(
                    f"{k} {v:.2f}" for k, v in sorted(per.items(), key=lambda kv: -kv[1])) + " | |")
        e2e = [r["end_to_end_s"] for r in mine]
        md += [f"| **end to end** | **{fmt(median(e2e))}** ({rng(e2e)}) | "
               f"{fmt(args.records / median(e2e))} | | |", ""]
    base = os.path.join(args.out, f"{stamp}-pipeline")
    png = chart(runs, variants, base)
    if png:
        md += [f"![the whole pipeline]({os.path.basename(png)})", ""]
    md += machine_section(mach)
    write_report(base, "\n".join(md), {"stamp": stamp, "records": args.records, "machine": mach,
                                       "variants": dict(variants), "runs": runs})
    if not args.no_latest:
        publish_latest(args.out, "latest-pipeline", base + ".md", png)
    return base + ".md", "\n".join(md)


def main():
    args = parse()
    if args.render:
        import json
        with open(args.render) as f:
            old = json.load(f)
        args.records, args.repeat = old["records"], max(r["round"] for r in old["runs"])
        print(report(old["runs"], list(old["variants"].items()), args, old["stamp"], old["machine"])[1])
        return 0
    variants = [P.parse_variant(v) for v in (args.variant or ["shipped"])]
    ctx = types.SimpleNamespace()
    stamp, run_id = new_run(ctx)
    mach = machine()
    svc = P.Services(args.bootstrap)
    if args.profile:
        jfr = os.path.join(ctx.runtmp, "connect.jfr")
        svc.restart_connect(f"-XX:StartFlightRecording=filename={jfr},settings=profile,dumponexit=true")
        mach["profile"] = jfr
    else:
        svc.start()
    kafka = Kafka(args.bootstrap)
    data_dir, manifest = dataset(os.path.join(ROOT, args.build_dir), args.records, args.seed)
    files = sum(1 for _, _, fs in os.walk(os.path.join(data_dir, "topics")) for f in fs if f.endswith(".avro"))
    runs = []
    for rnd in range(1, args.repeat + 1):
        log(f"round {rnd} of {args.repeat}")
        runs += one_round(svc, kafka, args, rnd, variants, data_dir, manifest, files, run_id, ctx.runtmp)
    if args.profile:
        pid = svc.pids()["connect"]
        subprocess.run(["jcmd", str(pid), "JFR.dump", f"filename={mach['profile']}"], stdout=subprocess.DEVNULL)
    path, md = report(runs, variants, args, stamp, mach)
    print(md)
    log(f"report {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
