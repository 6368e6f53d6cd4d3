#!/usr/bin/python3
"""One kstream-app run over an input topic that is already loaded, with the job's /metrics read
every 100 ms: a timeline of records in and out per second, records in flight, paused partitions
and commits. It shows where a run stalls, which its wall time alone does not: input that stops
while nothing is paused (the fetcher), in-flight records at the bound (the output side), a tail
after the last input (the last transaction).

  export PYTHONPATH=$PWD/tests/lib                      # the tests' kafka_testlib, stay_rules
  bench/timeline.py --input bench_in_2189130            # after `make bench FULL=1` loaded it
  KSTREAM_RDKAFKA_FETCH_WAIT_MAX_MS=500 bench/timeline.py --input bench_in_2189130 --summary

Each run gets output and dead-letter topics of its own (deleted afterwards) and a new consumer
group, so it reads the whole input. The job's command line is the benchmark's own
(kbench.contenders); extra arguments after `--` go to the job, and its log goes to a file named
on failure.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid

from confluent_kafka.admin import AdminClient, NewTopic

from kbench.contenders import Ctx, kstream_app_cmd  # the job's command line, as the benchmark runs it

import kafka_testlib as kt  # noqa: E402  (tests/lib: the /metrics reader and the free port of the tests)

CONSUMED = "kstream_records_consumed_total"


def scrape(port):
    """The job's metrics summed over partitions, or None while the endpoint is not up."""
    try:
        values = kt.metrics(port)
    except OSError:
        return None
    names = {key.split("{", 1)[0] for key in values}
    return {name: kt.total(values, name) for name in names}


def input_idle_seconds(rows):
    """Seconds of the run in which no record came in, from the first record on."""
    idle, started = 0.0, False
    for (t0, a), (t1, b) in zip(rows, rows[1:]):
        started = started or a.get(CONSUMED, 0) > 0
        if started and b[CONSUMED] == a[CONSUMED]:
            idle += t1 - t0
    return idle


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bootstrap", default=os.environ.get("BENCH_BOOTSTRAP", "127.0.0.1:9092"))
    p.add_argument("--input", required=True, help="a loaded input topic, e.g. bench_in_2189130")
    p.add_argument("--build-dir", default=os.environ.get("BENCH_BUILD_DIR", "build"))
    p.add_argument("--commit-ms", type=int, default=1000)
    p.add_argument("--summary", action="store_true", help="one line per run, no timeline")
    p.add_argument("job_args", nargs="*", help="extra job arguments (after --)")
    args = p.parse_args()

    ctx = Ctx(args)
    if not ctx.kstream_app():
        sys.exit(f"timeline: no kstream-app under {args.build_dir}: build the project first (make build)")
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    partitions = len(admin.list_topics(args.input, timeout=10).topics[args.input].partitions)
    if partitions == 0:
        sys.exit(f"timeline: topic {args.input} not found on {args.bootstrap}: load it first (make bench FULL=1)")
    tag = uuid.uuid4().hex[:8]
    out, group = f"timeline_out_{tag}", f"timeline_{tag}"
    for future in admin.create_topics([NewTopic(out, partitions, 1), NewTopic(out + "_dlq", partitions, 1)]).values():
        future.result()
    argv, env, cwd = kstream_app_cmd("exactly_once")(ctx, args.input, out, group, True, ())
    port = kt.free_port()
    # the benchmark turns the HTTP endpoint off; the last value of an option is the one the job takes.
    argv += [f"--http.port={port}", *args.job_args]
    log_path = os.path.join(tempfile.gettempdir(), f"{out}.log")
    rows = []
    job = None
    try:
        with open(log_path, "wb") as log:
            start = time.time()
            job = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env={**os.environ, **env})
            while job.poll() is None:
                sample = scrape(port)
                if sample:
                    rows.append((time.time() - start, sample))
                time.sleep(0.1)
            wall = time.time() - start
    finally:
        if job is not None and job.poll() is None:  # interrupted: leave nothing running
            job.terminate()
            job.wait()
        admin.delete_topics([out, out + "_dlq"])
    if job.returncode != 0:
        sys.exit(f"timeline: the job exited with {job.returncode}; its log: {log_path}")
    if len(rows) < 2:
        sys.exit(f"timeline: no metrics were read from port {port}; the job's log: {log_path}")
    last = rows[-1][1]
    print(f"wall {wall:.2f} s, records in {last[CONSUMED]:.0f}, "
          f"input idle {input_idle_seconds(rows):.2f} s, pauses {last['kstream_partition_pauses_total']:.0f}, "
          f"transactions {last.get('kstream_transactions_committed_total', 0):.0f}")
    if args.summary:
        return
    print("     s   in k/s  out k/s  in flight  paused  commits")
    for (t0, a), (t1, b) in zip(rows, rows[1:]):
        dt = t1 - t0
        rate_in = (b[CONSUMED] - a[CONSUMED]) / dt / 1000
        rate_out = (b["kstream_records_produced_total"] - a["kstream_records_produced_total"]) / dt / 1000
        print(f"{t1:6.2f} {rate_in:8.0f} {rate_out:8.0f} {b.get('kstream_records_in_flight', 0):10.0f} "
              f"{b.get('kstream_partition_paused', 0):7.0f} {b.get('kstream_transactions_committed_total', 0):8.0f}")


if __name__ == "__main__":
    main()
