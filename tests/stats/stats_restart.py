#!/usr/bin/python3
"""kstream-stats killed with kill -9 twice while it reads, then drained (issue 24), on the
local broker, in topics of its own:

  1. half the records are in the enriched topic (written in transactions, so the topic holds
     commit markers too); view 1 reads them, catches up and publishes the table;
  2. the other half arrives; view 1 is killed -9 while it reads it;
  3. view 2 restores the last checkpoint from the state topic and is killed -9 while it reads;
  4. view 3 (--job.drain) restores again and reads to the end.

Asserts: every value ever written to the changelog topic is, per category, at least the one
before it (the table never goes backwards, across restarts); view 3 restored a checkpoint
and read fewer records than the topic holds; its printed table and the changelog's latest
rows equal the table computed here, records and distinct hotels.

  stats_restart.py --source-dir DIR --stats KSTREAM_STATS [--records N]

About a minute with the default 60,000 records.
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error

from confluent_kafka import Producer

from stats_e2e import (BOOTSTRAP, CATEGORIES, compare, fail, free_port, get_json, log, parse_table,  # noqa: E402
                       read_topic, run)


def enriched_records(count, seed=24):
    """(value bytes, category, hotel_id or None): values as kstream-app writes them."""
    rng = random.Random(seed)
    hotels = [rng.randrange(10**11, 3 * 10**12) for _ in range(2500)]
    out = []
    for i in range(count):
        category = rng.choices(CATEGORIES, weights=[80, 12, 4, 2, 2])[0]
        hotel = None if rng.random() < 0.01 else rng.choice(hotels)
        value = json.dumps({"id": i, "hotel_id": hotel, "srch_ci": "2017-08-22", "srch_co": "2017-08-24",
                            "stay_duration": 2, "stay_category": category}, separators=(",", ":"))
        out.append((value.encode(), category, hotel))
    return out


def expected_table(records):
    table = {c: [0, set()] for c in CATEGORIES}
    for _, category, hotel in records:
        table[category][0] += 1
        if hotel is not None:
            table[category][1].add(hotel)
    return {c: (v[0], len(v[1])) for c, v in table.items()}


def produce_in_transactions(topic, records, transactional_id, per_transaction=5000):
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "transactional.id": transactional_id, "linger.ms": 20})
    producer.init_transactions(30)
    for start in range(0, len(records), per_transaction):
        producer.begin_transaction()
        for i in range(start, min(start + per_transaction, len(records))):
            while True:
                try:
                    producer.produce(topic, value=records[i][0], partition=i % 3)
                    break
                except BufferError:
                    producer.poll(0.1)
        producer.commit_transaction(60)


class View:
    """kstream-stats as a subprocess with its HTTP port."""

    def __init__(self, cmd, workdir, name):
        self.port = free_port()
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.cmd = cmd + [f"--http.port={self.port}"]
        log("$", " ".join(self.cmd))
        self.proc = subprocess.Popen(self.cmd, stdout=open(self.log_path + ".out", "w"), stderr=open(self.log_path, "w"))

    def status(self):
        try:
            return get_json(f"http://127.0.0.1:{self.port}/stats")["status"]
        except (OSError, urllib.error.URLError, ValueError):
            return None

    def wait(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail(f"kstream-stats exited with {self.proc.returncode} while waiting for {what}; log {self.log_path}")
            status = self.status()
            if status is not None and predicate(status):
                return status
            time.sleep(0.02)
        fail(f"timed out after {timeout}s waiting for {what}; log {self.log_path}")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


def counted(status):
    """Records in the table: restored from a checkpoint plus read by this run (duplicates aside)."""
    return status["restored_records"] + status["records_read"] - status["duplicates_skipped"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--stats", required=True)
    parser.add_argument("--records", type=int, default=60000)
    args = parser.parse_args()
    source_dir = os.path.abspath(args.source_dir)
    started = time.monotonic()
    admin = ["/usr/bin/python3", os.path.join(source_dir, "scripts", "kafka-admin.py"), "--bootstrap", BOOTSTRAP]
    if run(["bash", os.path.join(source_dir, "scripts", "local-kafka.sh"), "start"], 600).returncode != 0:
        fail("the local broker did not start (scripts/local-kafka.sh start)")
    prefix = f"stats_restart_{os.getpid()}_{int(time.time())}"
    topic_ext, topic_stats, topic_state = f"{prefix}_ext", f"{prefix}_stats", f"{prefix}_state"
    workdir = tempfile.mkdtemp(prefix="stats-restart-")
    try:
        if run(admin + ["create", f"{topic_ext}:3", f"{topic_stats}:3:compact"], 120).returncode:
            fail("cannot create the test's topics")
        records = enriched_records(args.records)
        half = len(records) // 2
        expected = expected_table(records)
        cmd = [args.stats, f"--kafka.bootstrap-servers={BOOTSTRAP}", f"--kafka.input-topic={topic_ext}",
               f"--kafka.group-id={prefix}", f"--kafka.stats-topic={topic_stats}", f"--kafka.state-topic={topic_state}",
               "--job.publish-interval-ms=50", "--job.checkpoint-interval-ms=100", "--view.terminal=plain"]
        # Small batches and a small window: the killed views read slowly enough to be killed mid-way.
        slow = ["--job.batch-size=20", "--job.max-in-flight=60"]

        produce_in_transactions(topic_ext, records[:half], f"{prefix}-writer")
        view = View(cmd + slow, workdir, "view-1")
        view.wait(lambda s: s["caught_up"] and counted(s) == half, 300, "view 1 to catch up with the first half")
        time.sleep(0.5)  # a publication interval or more: the full first half is in the changelog
        produce_in_transactions(topic_ext, records[half:], f"{prefix}-writer")
        kills = []
        for name, low, high in (("view-1", 0.55, 0.7), ("view-2", 0.75, 0.9)):
            if name != "view-1":
                view = View(cmd + slow, workdir, name)
            status = view.wait(lambda s: counted(s) >= low * len(records), 300, f"{name} to read {low:.0%}")
            if counted(status) >= high * len(records) or counted(status) >= len(records):
                fail(f"{name} read too fast to be killed while reading ({counted(status)} of {len(records)})")
            view.kill9()
            kills.append(f"{name} at {counted(status)} records (restored {status['restored_records']})")
            log(f"kill -9 of {name} at {counted(status)} of {len(records)} records counted")
        final = run(cmd + ["--job.drain", "--http.port=0"], 600, capture_output=True, text=True)
        sys.stderr.write(final.stderr[-2000:])
        if final.returncode != 0:
            fail(f"the final kstream-stats --job.drain exited {final.returncode}")
        compare("the final kstream-stats --job.drain table", parse_table(final.stdout), expected)
        done = [line for line in final.stderr.splitlines() if "done:" in line]
        if not done:
            fail("the final run printed no 'done:' line")
        read_now = int(done[-1].split("done: ")[1].split(" records read")[0])
        restored = int(done[-1].split("(")[1].split(" of them restored")[0])
        if restored == 0 or read_now >= len(records):
            fail(f"the final run read {read_now} records and restored {restored}: it did not restore a checkpoint")
        # Every changelog value, in the order written (one partition per key): never lower.
        history = {}
        for key, value in read_topic(topic_stats, f"{prefix}_changelog_reader"):
            row = json.loads(value)
            history.setdefault(key.decode(), []).append((row["records"], row["distinct_hotels"]))
        backwards = [f"{c}: {a} then {b}" for c, values in history.items()
                     for a, b in zip(values, values[1:]) if b[0] < a[0] or b[1] < a[1]]
        if backwards:
            fail(f"the changelog went backwards {len(backwards)} times: {backwards[:5]}")
        latest = {c: values[-1] for c, values in history.items()}
        compare(f"the changelog topic {topic_stats} (latest value per key)", latest, expected)
        published = sum(len(v) for v in history.values())
        log(f"FIGURES stats_restart: records={len(records)} kills=2 ({'; '.join(kills)}) final_run_read={read_now} "
            f"final_run_restored={restored} changelog_records={published} backwards=0 "
            f"elapsed_s={time.monotonic() - started:.1f}")
        log("PASS")
    finally:
        run(admin + ["delete", topic_ext, topic_stats, topic_state], 120)


if __name__ == "__main__":
    main()
