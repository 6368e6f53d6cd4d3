"""The ceiling (issue 23): what the job is measured against, in the same run as the job.

- the limit: the faster *pipeline* of the run (the kcat pipe, or the librdkafka C++ passthrough
  tuned like the job: pipelined at-least-once, the job's fetch and batching settings, no JSON);
- the broker's ingest ceiling: `bench-passthrough --mode=ingest`, a librdkafka producer from
  memory writing the same records with the job's producer settings. It times only its produce
  phase (it reads the input into memory first) and prints that on a `BENCH_TIMED` line;
- the broker's own CPU in every run (the broker shares the machine's 2 cores with the contender).
Every contender is also given as a fraction of the broker's ingest ceiling.
"""
import json
import os
import re
import subprocess

LIMITS = ("limit-kcat", "limit-cpp")
INGEST = "broker-ingest"
GOAL_RATIO, GOAL_CPU = 0.9, 1.2  # exactly_once >= 0.9x the limit; CPU per record <= 1.2x the limit's
TICK = os.sysconf("SC_CLK_TCK")


def timed_phase(logfile):
    """The BENCH_TIMED figures a contender printed into its log ({"wall_s", "cpu_s", ...}), or None."""
    try:
        with open(logfile, errors="replace") as f:
            for line in f:
                if line.startswith("BENCH_TIMED "):
                    return json.loads(line[len("BENCH_TIMED "):])
    except OSError:
        pass
    return None


def broker_pid(bootstrap):
    """The pid of the process listening on the bootstrap's port (the local broker), or None."""
    port = bootstrap.rsplit(":", 1)[1]
    try:
        out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"pid=(\d+)", out)
    return int(m.group(1)) if m else None


def process_cpu(pid):
    """user + system CPU seconds of one process, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except (OSError, TypeError):
        return None
    fields = st[st.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def limit_row(results):
    """The faster limit pipeline of the run (by median records/s), or None."""
    rows = [r for r in results if r.get("ok") and r["name"] in LIMITS and r.get("records_per_s")]
    return max(rows, key=lambda r: r["records_per_s"], default=None)


def ingest_row(results):
    return next((r for r in results if r["name"] == INGEST and r.get("ok") and r.get("records_per_s")), None)


def x_ingest(row, results):
    """A row's records/s as a fraction of the broker's ingest ceiling, or None."""
    ing = ingest_row(results)
    return row["records_per_s"] / ing["records_per_s"] if ing and row.get("records_per_s") else None


def targets(job, results):
    """(what, measured, goal, met?) rows of the ceiling goals for the exactly_once job."""
    lim, ing = limit_row(results), ingest_row(results)
    if not job or not lim:
        return [("kstream-app exactly_once vs the limit", "not measured", f">= {GOAL_RATIO}x", None)]
    r = job["records_per_s"] / lim["records_per_s"]
    c = job["cpu_us_per_record"] / lim["cpu_us_per_record"] if lim.get("cpu_us_per_record") else None
    rounds = per_round(job, lim)
    out = [(f"kstream-app exactly_once vs the limit ({lim['label']})",
            f"{r:.2f}x" + (f" (per round: {', '.join(f'{x:.2f}' for x in rounds)})" if rounds else ""),
            f">= {GOAL_RATIO}x", r >= GOAL_RATIO),
           ("kstream-app exactly_once CPU per record vs the limit's",
            f"{c:.2f}x ({job['cpu_us_per_record']} vs {lim['cpu_us_per_record']} µs)" if c else "–",
            f"<= {GOAL_CPU}x", None if c is None else c <= GOAL_CPU)]
    if ing:
        out.append(("kstream-app exactly_once vs the broker's ingest ceiling (information)",
                    f"{job['records_per_s'] / ing['records_per_s']:.2f}x", "–", None))
    return out


def per_round(job, lim):
    """job / limit records/s per round (the runs taking turns), when both have the same number of runs."""
    a, b = job.get("runs") or [], lim.get("runs") or []
    if len(a) < 2 or len(a) != len(b):
        return []
    return [x["records_per_s"] / y["records_per_s"] for x, y in zip(a, b)
            if x.get("records_per_s") and y.get("records_per_s")]
