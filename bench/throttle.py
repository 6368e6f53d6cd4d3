#!/usr/bin/python3
"""kstream-app's memory with its output throttled (issue 5: "peak RSS bounded when the output
is throttled (show it)").

A broker quota (producer_byte_rate) on a client id used only by this run slows the job's
producer far below what its consumer could read. Without backpressure the job would keep
reading and its memory would grow with the backlog; with it, RSS stays flat. Samples RSS and
the output topic's progress every 0.5 s for --seconds, then removes the quota and stops the job.
Writes bench/results/<stamp>-throttle.{md,png,json} and latest-throttle.{md,png}.

  throttle.py [--records N] [--rate BYTES_PER_S] [--seconds S] [--guarantee exactly_once]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from kbench.common import BENCH, CACHE, log, new_run
from kbench.contenders import CONTENDERS, Ctx, kstream_app_cmd
from kbench.data import ensure_data
from kbench.kafka_io import Kafka
from kbench.processes import start, stop, tree_usage


def quota(bootstrap, client_id, rate):
    libs = os.path.join(CACHE, "kafka-3.9.1", "libs")
    change = (["--add-config", f"producer_byte_rate={rate}"] if rate else
              ["--delete-config", "producer_byte_rate"])
    subprocess.run(["java", "-cp", f"{libs}/*", "kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap,
                    "--alter", "--entity-type", "clients", "--entity-name", client_id, *change],
                   check=True, stdout=subprocess.DEVNULL)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=int(os.environ.get("BENCH_RECORDS", 200000)))
    p.add_argument("--topic")
    p.add_argument("--rate", type=int, default=1 << 20, help="producer quota, bytes/s (default 1 MiB/s)")
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--guarantee", default="exactly_once")
    p.add_argument("--bootstrap", default="127.0.0.1:9092")
    p.add_argument("--build-dir", default=os.environ.get("BENCH_BUILD_DIR", "build"))
    p.add_argument("--commit-ms", type=int, default=1000)
    p.add_argument("--out", default=os.path.join(BENCH, "results"))
    args = p.parse_args()
    args.deep, args.reload = False, False
    return args


def main():
    args = parse_args()
    ctx = Ctx(args)
    if not ctx.kstream_app():
        raise SystemExit("throttle: kstream-app is not built")
    stamp, run_id = new_run(ctx)
    kafka = Kafka(args.bootstrap)
    data = ensure_data(kafka, args)
    contender = next(c for c in CONTENDERS if c.name == "kstream-app-eos")
    contender.command = kstream_app_cmd(args.guarantee)
    client_id = f"bench-throttled-{run_id}"
    out = f"bench_throttle_{run_id}"
    group = f"bench-throttle-{run_id}"
    kafka.create(out, out + "_dlq")
    quota(args.bootstrap, client_id, args.rate)
    os.environ["KSTREAM_RDKAFKA_CLIENT_ID"] = client_id
    logfile = os.path.join(ctx.runtmp, "throttle.log")
    log(f"throttle: kstream-app {args.guarantee}, producer quota {args.rate} B/s, {args.seconds} s")
    proc = start(contender, ctx, data["topic"], out, group, True, [out + "_dlq"], logfile)
    t0 = time.monotonic()
    samples = []  # (t, rss MB, cpu s, output records, committed input records)
    try:
        while time.monotonic() - t0 < args.seconds and proc.poll() is None:
            rss, cpu = tree_usage(proc.pid)
            written = sum(kafka.end_offsets(out))
            committed = kafka.committed(group, data["topic"], 3)
            samples.append((round(time.monotonic() - t0, 1), round(rss / 2**20, 1), round(cpu, 2), written,
                            sum(max(0, c) for c in committed)))
            time.sleep(0.5)
    finally:
        stop(proc)
        quota(args.bootstrap, client_id, 0)
        kafka.delete(out, out + "_dlq")
    rss = [s[1] for s in samples]
    half = [s[1] for s in samples if s[0] >= args.seconds / 2] or rss  # a job that ended early
    written = samples[-1][3] if samples else 0
    md = [f"# kstream-app with its output throttled ({stamp})", "",
          f"`{args.guarantee}`, input `{data['topic']}` ({data['records']:,} records), broker quota "
          f"producer_byte_rate={args.rate:,} B/s on the job's client id, {args.seconds} s.", "",
          f"- peak RSS {max(rss):.1f} MB; over the second half of the run: min {min(half):.1f}, max {max(half):.1f} MB",
          f"- output written meanwhile: {written:,} records ({written / max(1, samples[-1][0]):,.0f}/s); "
          f"the input was {data['records']:,} records, so the job could have read far more",
          f"- CPU {samples[-1][2]} s in {samples[-1][0]} s ({100 * samples[-1][2] / max(1, samples[-1][0]):.0f} % of "
          "one core) although the output was throttled", "",
          "The broker enforces the quota by muting the producer's connection for the throttle time, "
          "so the output advances in bursts; \"records written\" is the output topic's end offset "
          "(uncommitted records included).", "", "RSS and output over time: "
          f"`{stamp}-throttle.png`.", ""]
    base = os.path.join(args.out, f"{stamp}-throttle")
    with open(base + ".json", "w") as f:
        json.dump({"args": vars(args), "samples": samples}, f)
    with open(base + ".dat", "w") as f:
        f.writelines(f"{t} {r} {w}\n" for t, r, _, w, _ in samples)
    subprocess.run(["gnuplot"], text=True, check=True, input=f"""
set terminal pngcairo size 900,420 font 'sans,10'
set output '{base}.png'
set title 'kstream-app {args.guarantee}, output throttled to {args.rate / 2**20:.1f} MiB/s' noenhanced
set xlabel 'seconds'
set ylabel 'RSS of the process (MB)'
set y2label 'records written'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set grid
set key left top
plot '{base}.dat' using 1:2 with lines lw 2 title 'RSS (MB)', '' using 1:3 axes x1y2 with lines title 'records written'
""")
    with open(base + ".md", "w") as f:
        f.write("\n".join(md))
    for ext in (".md", ".png"):
        shutil.copyfile(base + ext, os.path.join(args.out, "latest-throttle" + ext))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
