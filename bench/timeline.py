#!/usr/bin/python3
"""One kstream-app run over an input topic that is already loaded, with the job's /metrics read
every 100 ms: a timeline of records in and out per second, records in flight, paused partitions
and commits. It shows where a run stalls, which its wall time alone does not: input that stops
while nothing is paused (the fetcher), in-flight records at the bound (the output side), a tail
after the last input (the last transaction).

  bench/timeline.py --input bench_in_2189130            # after `make bench FULL=1` loaded it
  KSTREAM_RDKAFKA_FETCH_WAIT_MAX_MS=500 bench/timeline.py --input bench_in_2189130 --summary

Each run gets output and dead-letter topics of its own (deleted afterwards) and a new consumer
group, so it reads the whole input. Extra arguments after `--` go to the job.
"""
import argparse
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid

from confluent_kafka.admin import AdminClient, NewTopic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METRIC = re.compile(r"^(kstream_\w+)(\{[^}]*\})? (\S+)$", re.M)


def scrape(port):
    """The job's metrics summed over partitions, or None while the endpoint is not up."""
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=0.5).read().decode()
    except OSError:
        return None
    sums = {}
    for m in METRIC.finditer(text):
        sums[m.group(1)] = sums.get(m.group(1), 0.0) + float(m.group(3))
    return sums


def input_idle_seconds(rows):
    """Seconds of the run in which no record came in, from the first record on."""
    idle, started = 0.0, False
    for (t0, a), (t1, b) in zip(rows, rows[1:]):
        started = started or a.get("kstream_records_consumed_total", 0) > 0
        if started and b["kstream_records_consumed_total"] == a["kstream_records_consumed_total"]:
            idle += t1 - t0
    return idle


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bootstrap", default=os.environ.get("BENCH_BOOTSTRAP", "127.0.0.1:9092"))
    p.add_argument("--input", required=True, help="a loaded input topic, e.g. bench_in_2189130")
    p.add_argument("--build-dir", default=os.environ.get("BENCH_BUILD_DIR", "build"))
    p.add_argument("--port", type=int, default=18099, help="the job's HTTP port for /metrics")
    p.add_argument("--summary", action="store_true", help="one line per run, no timeline")
    p.add_argument("job_args", nargs="*", help="extra job arguments (after --)")
    args = p.parse_args()

    app = os.path.join(ROOT, args.build_dir, "app", "kstream-app")
    if not os.access(app, os.X_OK):
        sys.exit(f"timeline: {app} not found: build the project first (make build)")
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    partitions = len(admin.list_topics(args.input, timeout=10).topics[args.input].partitions)
    if partitions == 0:
        sys.exit(f"timeline: topic {args.input} not found on {args.bootstrap}: load it first (make bench FULL=1)")
    tag = uuid.uuid4().hex[:8]
    out, group = f"timeline_out_{tag}", f"timeline_{tag}"
    for future in admin.create_topics([NewTopic(out, partitions, 1), NewTopic(out + "_dlq", partitions, 1)]).values():
        future.result()
    argv = [app, f'--kafka.bootstrap-servers="{args.bootstrap}"', f'--kafka.group-id="{group}"',
            f'--kafka.input-topic="{args.input}"', f'--kafka.output-topic="{out}"', f'--kafka.dlq-topic="{out}_dlq"',
            f'--kafka.transactional-id="{group}-tx"', "--job.drain=true", f"--http.port={args.port}",
            "--log.progress-interval-ms=0", *args.job_args]
    rows = []
    try:
        start = time.time()
        job = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while job.poll() is None:
            sample = scrape(args.port)
            if sample:
                rows.append((time.time() - start, sample))
            time.sleep(0.1)
        wall = time.time() - start
    finally:
        admin.delete_topics([out, out + "_dlq"])
    if job.returncode != 0:
        sys.exit(f"timeline: the job exited with {job.returncode}")
    if len(rows) < 2:
        sys.exit("timeline: no metrics were read (is the port free?)")
    last = rows[-1][1]
    print(f"wall {wall:.2f} s, records in {last['kstream_records_consumed_total']:.0f}, "
          f"input idle {input_idle_seconds(rows):.2f} s, pauses {last['kstream_partition_pauses_total']:.0f}, "
          f"transactions {last.get('kstream_transactions_committed_total', 0):.0f}")
    if args.summary:
        return
    print("     s   in k/s  out k/s  in flight  paused  commits")
    for (t0, a), (t1, b) in zip(rows, rows[1:]):
        dt = t1 - t0
        rate_in = (b["kstream_records_consumed_total"] - a["kstream_records_consumed_total"]) / dt / 1000
        rate_out = (b["kstream_records_produced_total"] - a["kstream_records_produced_total"]) / dt / 1000
        print(f"{t1:6.2f} {rate_in:8.0f} {rate_out:8.0f} {b['kstream_records_in_flight']:10.0f} "
              f"{b['kstream_partition_paused']:7.0f} {b.get('kstream_transactions_committed_total', 0):8.0f}")


if __name__ == "__main__":
    main()
