"""bench.py's command line: which contenders, which data set, then the runs and the report; and
the options every script that runs contenders shares (latency_sweep.py, scale.py)."""
import argparse
import json
import os

from kbench.common import BENCH, log
from kbench.contenders import CONTENDERS, Ctx
from kbench.data import ensure_data
from kbench.reports import report
from kbench.runs import micro, run_contenders, start_run


def add_run_options(p, latest="latest"):
    """The options of every script that runs contenders: the broker, the build, the time allowed
    per run, where the reports go (and whether <latest>.md / .png are updated), the topics."""
    p.add_argument("--bootstrap", default=os.environ.get("BENCH_BOOTSTRAP", "127.0.0.1:9092"))
    p.add_argument("--build-dir", default=os.environ.get("BENCH_BUILD_DIR", "build"))
    p.add_argument("--timeout", type=float, help="per run, seconds (default 120 + records/1000)")
    p.add_argument("--out", default=os.path.join(BENCH, "results"))
    p.add_argument("--no-latest", action="store_true", help=f"do not update {latest}.md / {latest}.png")
    p.add_argument("--reload", action="store_true", help="regenerate the input topic")
    p.add_argument("--keep-topics", action="store_true")
    p.add_argument("--check-first-only", action="store_true",
                   help="check each contender's output in full in the first round only; later rounds compare the "
                   "output's per-partition end offsets with the manifest (reading a big output back takes minutes)")


# bench.py's own options that the runs read (kbench.runs, kbench.checks) but a script with only
# add_run_options() does not offer, and their values there: outputs checked by counts and
# categories (not record by record), no deliberate partial runs, no latency run, not a smoke run.
SIDE_RUN_DEFAULTS = {"deep": False, "partial": {}, "no_latency": True, "commit_ms": 1000, "smoke": False}


def complete_run_args(args, **fields):
    """Gives a side script's parsed `args` (latency_sweep.py, latency_load.py, scale.py) what the
    runs read: SIDE_RUN_DEFAULTS for each option it did not parse, then `fields` (always)."""
    for name, value in SIDE_RUN_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    for name, value in fields.items():
        setattr(args, name, value)
    return args


def parse_args(description):
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=int(os.environ.get("BENCH_RECORDS", 200000)))
    p.add_argument("--topic", help="input topic (default bench_in_<records>)")
    p.add_argument("--contenders", default=os.environ.get("BENCH_CONTENDERS", "all"),
                   help="comma-separated names (see --list), or all")
    add_run_options(p)
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
    p.add_argument("--partial", action="append", default=[], metavar="NAME=SECONDS",
                   help="stop contender NAME (Kafka Streams, faust) after SECONDS and report its rate over the "
                   "records it committed by then, output unchecked (faust needs hours for the full set here)")
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
    return args


def print_list(ctx):
    for c in CONTENDERS:
        why = c.available(ctx)
        print(f"{c.name:20} {c.label:40} {'ready' if not why else 'unavailable: ' + why}")


def choose(args, ctx):
    """(the contenders asked for, those of them that can run here); exits on an unknown name, or
    on one that cannot run unless "all" or --allow-missing was asked for."""
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
    return wanted, runnable


def merge_earlier(path, results, data, mach, micro_ns):
    """--merge-from: this run's rows and, for every other contender, the row of an earlier report
    of the same data set (marked with its stamp). Returns (rows, micro_ns)."""
    with open(path) as f:
        old = json.load(f)
    if old["manifest"] != data["manifest"]:
        raise SystemExit(f"bench: {path} is from another data set")
    fresh = {r["name"]: r for r in results}
    results = [fresh.pop(r["name"], None) or dict(r, from_run=old["stamp"]) for r in old["results"]] \
        + list(fresh.values())
    order = [c.name for c in CONTENDERS]
    results.sort(key=lambda r: order.index(r["name"]) if r["name"] in order else len(order))
    mach["merged"] = (f"rows marked * come from run {old['stamp']} (load then: "
                      f"{old['machine'].get('load_at_start')}); the others from this run")
    return results, micro_ns or old.get("micro_ns")


def main(description):
    args = parse_args(description)
    ctx = Ctx(args)
    if args.list:
        print_list(ctx)
        return 0
    wanted, runnable = choose(args, ctx)
    stamp, run_id, mach, kafka = start_run("bench", ctx, runnable, args)
    data = ensure_data(kafka, args)
    ctx.partitions = len(data["end_offsets"])
    results = run_contenders(runnable, ctx, kafka, data, run_id, args)
    micro_ns = None if args.smoke or args.no_micro else micro(ctx)
    if args.merge_from:
        results, micro_ns = merge_earlier(args.merge_from, results, data, mach, micro_ns)
    md_path, png, md = report(results, data, args, args.out, stamp, mach, micro_ns)
    print(md)
    log(f"report {md_path}" + (f", chart {png}" if png else ""))
    skipped = [c.name for c in wanted if c not in runnable]
    if skipped:
        log(f"not run here: {', '.join(skipped)}")
    # A partial run was asked for (--partial) and is flagged as such in the report: not a failure.
    return 0 if all(r.get("ok") or r.get("partial") for r in results) and results else 1
