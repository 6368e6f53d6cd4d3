"""Where the benchmark's things are, its log line, and a run's stamp."""
import datetime
import os
import sys

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCH)
# The real data set (the Expedia sample); the targets are set on it.
FULL_SET_RECORDS = 2_189_130
CACHE = os.environ.get("KSTREAM_CACHE", os.path.expanduser("~/.cache/kstream-app"))


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def new_run(ctx):
    """A run's stamp (UTC, for file names) and id (for topic and group names); makes its
    scratch folder ctx.runtmp."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_id = stamp.lower().replace("t", "").replace("z", "")
    ctx.runtmp = os.path.join(BENCH, "results", "tmp", "runs", stamp)
    os.makedirs(ctx.runtmp, exist_ok=True)
    return stamp, run_id
