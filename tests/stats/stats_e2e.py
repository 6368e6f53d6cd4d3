#!/usr/bin/python3
"""End to end: raw records -> kstream-app -> expedia_ext -> kstream-stats, on the local broker.

  stats_e2e.py --source-dir DIR --app KSTREAM_APP --stats KSTREAM_STATS
               --data computed|manifest [--records N] [--page] [--keep]

--data computed   writes N synthetic raw records (null and missing hotel_ids, bad and reversed
                  dates, values that are not JSON) and computes the expected table here,
                  independently of the C++ code;
--data manifest   loads the generator's data set with scripts/load-expedia.sh and takes the
                  expected table from its manifest.json.

Then, in fresh topics of its own, runs the job (drain), and either
  * kstream-stats --job.drain: its printed table, the changelog topic and a model of the
    ksql statements (ksql/stay_counts.sql) evaluated over expedia_ext must all equal the
    expected table; or, with --page,
  * kstream-stats live with HTTP: waits for /stats to hold the whole table, opens the page in
    headless Chromium, reads the rendered numbers back from the DOM, compares them with /stats
    and the expected table, saves a screenshot in tests/artifacts/, stops it with SIGTERM.

Everything fails loudly (never skips): no broker, no loader, no Chromium are failures.
"""
import argparse
import datetime
import html.parser
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from confluent_kafka import Producer

from committed_reader import read_to_end  # noqa: E402  (tests/lib)
from stay_rules import CATEGORIES, category_of  # noqa: E402  (tests/lib: the shared oracle)

BOOTSTRAP = "127.0.0.1:9092"
# The seed's published result over the whole data set (docs: shared/reference/expedia-dataset.md):
# {category: (records, distinct hotels)}.
PUBLISHED = {"Short stay": (1951037, 2494), "Standard stay": (217710, 2422),
             "Standard extended stay": (11844, 2452), "Long stay": (5044, 2158), "Erroneous data": (3495, 1856)}


def log(*args):
    print("stats_e2e:", *args, file=sys.stderr, flush=True)


def fail(message):
    log("FAIL:", message)
    sys.exit(1)


# --- expected table for the computed data set ------------------------------------------------

def synthetic_records(count, seed=7):
    """(raw value bytes, category or None for values the job dead-letters, hotel_id or None)."""
    rng = random.Random(seed)
    hotels = [rng.randrange(10**11, 3 * 10**12) for _ in range(3000)]
    out = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.004:
            out.append((rng.choice([b"not json", b"[1,2,3]", b"\"text\"", b"{\"id\":"]), None, None))
            continue
        start = datetime.date(2017, 1, 1) + datetime.timedelta(days=rng.randrange(0, 700))
        days = rng.choice([1, 1, 2, 2, 3, 4, 4, 5, 6, 8, 10, 11, 13, 14, 15, 21, 40, 0, -3])
        check_in, check_out = start.isoformat(), (start + datetime.timedelta(days=days)).isoformat()
        twist = rng.random()
        if twist < 0.01:
            check_in = None
        elif twist < 0.02:
            check_out = "2017-02-30"
        elif twist < 0.025:
            check_out = "soon"
        record = {"id": i, "date_time": "2017-01-01 10:00:00", "site_name": 2, "posa_container": None,
                  "orig_destination_distance": 66.7913, "user_id": i % 977, "srch_ci": check_in,
                  "srch_co": check_out, "srch_adults_cnt": 2, "srch_children_cnt": 0, "srch_rm_cnt": 1}
        hotel_roll = rng.random()
        if hotel_roll < 0.03:
            record["hotel_id"] = None
            hotel = None
        elif hotel_roll < 0.04:
            hotel = None  # hotel_id missing altogether
        else:
            hotel = hotels[int(len(hotels) * rng.random() ** 3)]  # skewed: some hotels are popular
            record["hotel_id"] = hotel
        out.append((json.dumps(record, separators=(",", ":")).encode(), category_of(check_in, check_out), hotel))
    return out


def expected_from_records(records):
    table = {c: {"records": 0, "hotels": set()} for c in CATEGORIES}
    for _, category, hotel in records:
        if category is None:
            continue
        table[category]["records"] += 1
        if hotel is not None:
            table[category]["hotels"].add(hotel)
    return {c: (v["records"], len(v["hotels"])) for c, v in table.items()}


def produce(topic, records):
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 20})
    for i, (value, _, _) in enumerate(records):
        while True:
            try:
                producer.produce(topic, value=value, partition=i % 3)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    if producer.flush(60) != 0:
        fail(f"could not write every record to {topic}")


# --- helpers -----------------------------------------------------------------------------------

def run(cmd, timeout, **kwargs):
    log("$", " ".join(cmd))
    return subprocess.run(cmd, timeout=timeout, **kwargs)


def read_topic(topic, group):
    """Every committed record of a topic, up to its end: list of (key, value)."""
    try:
        return [(m.key(), m.value()) for m in read_to_end({"bootstrap.servers": BOOTSTRAP, "group.id": group}, topic,
                                                          timeout=300)]
    except AssertionError as e:
        fail(str(e))


def parse_table(text):
    """The rows of kstream-stats' text table: {category: (records, distinct hotels)}."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in CATEGORIES:
            rows[cells[0]] = (int(cells[1]), int(cells[2]))
    return rows


def compare(what, got, expected, reference="the expected table"):
    bad = [f"{c}: got {got.get(c)}, expected {expected.get(c)}" for c in CATEGORIES if got.get(c) != expected.get(c)]
    if bad:
        fail(f"{what} differs from {reference}:\n  " + "\n  ".join(bad))
    log(f"OK: {what} equals {reference}")


def show(expected):
    lines = [f"  {'stay category':24} {'records':>10} {'distinct hotels':>16}"]
    for c in CATEGORIES:
        lines.append(f"  {c:24} {expected[c][0]:>10} {expected[c][1]:>16}")
    lines.append(f"  {'all':24} {sum(v[0] for v in expected.values()):>10}")
    log("expected table:\n" + "\n".join(lines))


def ksql_model(values):
    """ksql/stay_counts.sql evaluated over the values of expedia_ext, statement by statement:
    level 1 groups by (stay_category, COALESCE(CAST(hotel_id AS STRING), '')) and counts; rows
    with a null stay_category are dropped (ksqlDB skips null grouping keys); level 2 sums the
    counts and counts the non-empty hotel keys per category."""
    level1 = {}
    for value in values:
        try:
            row = json.loads(value)
        except ValueError:
            continue
        if not isinstance(row, dict) or not isinstance(row.get("stay_category"), str):
            continue
        hotel = row.get("hotel_id")
        hotel_key = "" if hotel is None else str(hotel)
        key = (row["stay_category"], hotel_key)
        level1[key] = level1.get(key, 0) + 1
    level2 = {}
    for (category, hotel_key), records in level1.items():
        total, hotels = level2.get(category, (0, 0))
        level2[category] = (total + records, hotels + (0 if hotel_key == "" else 1))
    return level2


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


class DomNumbers(html.parser.HTMLParser):
    """Collects data-value and text of elements with an id (the page's numbers and bars)."""

    def __init__(self):
        super().__init__()
        self.values, self.texts, self.widths, self._open = {}, {}, {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        ident = attrs.get("id")
        if ident and "data-value" in attrs:
            self.values[ident] = attrs["data-value"]
            if "width" in attrs:
                self.widths[ident] = attrs["width"]
        self._open.append(ident if ident else None)
        if tag in ("rect", "input", "br", "meta"):
            self._open.pop()

    def handle_endtag(self, tag):
        if self._open and tag not in ("rect", "input", "br", "meta"):
            self._open.pop()

    def handle_data(self, data):
        if self._open and self._open[-1]:
            self.texts[self._open[-1]] = self.texts.get(self._open[-1], "") + data


def chromium(args, timeout=120):
    binary = "/usr/bin/chromium"
    if not os.path.exists(binary):
        fail("Debian's chromium is not installed (scripts/setup.d/60-stats.sh installs it)")
    profile = tempfile.mkdtemp(prefix="stats-chromium-")
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}"] + args
    result = run(cmd, timeout, capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"chromium exited {result.returncode}: {result.stderr[-2000:]}")
    return result.stdout


def page_check(source_dir, stats_cmd, expected, workdir):
    port = free_port()
    cmd = stats_cmd + [f"--http.port={port}", "--http.bind-address=127.0.0.1", "--view.terminal=plain"]
    log("$", " ".join(cmd))
    stderr = open(os.path.join(workdir, "kstream-stats.stderr"), "w")
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=workdir)
    try:
        base = f"http://127.0.0.1:{port}"
        total = sum(v[0] for v in expected.values())
        deadline, stats = time.monotonic() + 180, None
        while time.monotonic() < deadline:
            if process.poll() is not None:
                fail(f"kstream-stats exited early with {process.returncode}")
            try:
                stats = get_json(base + "/stats")
                if stats["total_records"] == total and stats["status"]["caught_up"]:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            fail(f"/stats did not reach {total} records: {stats}")
        from_http = {r["stay_category"]: (r["records"], r["distinct_hotels"]) for r in stats["rows"]}
        compare("/stats", from_http, expected)
        page = urllib.request.urlopen(base + "/", timeout=5).read().decode()
        if "http://" in page.replace(base, "") or "https://" in page:
            fail("the page refers to an external address; it must work without internet")
        dom = chromium(["--virtual-time-budget=5000", "--window-size=1200,800", "--dump-dom", base + "/"])
        numbers = DomNumbers()
        numbers.feed(dom)
        rendered = {}
        for c in CATEGORIES:
            slug = re.sub(r"[^a-z0-9]+", "-", c.lower())
            for kind in ("records", "hotels"):
                ident = f"{kind}-{slug}"
                if ident not in numbers.values:
                    fail(f"the rendered page has no #{ident}; DOM:\n{dom[:3000]}")
                shown = numbers.texts.get(ident, "").replace(",", "").strip()
                if shown != numbers.values[ident]:
                    fail(f"#{ident} shows {shown!r} but holds {numbers.values[ident]!r}")
            for bar in (f"records-bar-{slug}", f"distinct_hotels-bar-{slug}"):
                if bar not in numbers.values:
                    fail(f"the rendered page has no bar #{bar}")
                if int(numbers.values[bar]) > 0 and float(numbers.widths.get(bar, "0")) <= 0:
                    fail(f"bar #{bar} has no width for a non-zero value")
            rendered[c] = (int(numbers.values[f"records-{slug}"]), int(numbers.values[f"hotels-{slug}"]))
        compare("the page rendered in Chromium", rendered, expected)
        if int(numbers.values.get("total-records", -1)) != total:
            fail(f"the page's total is {numbers.values.get('total-records')}, expected {total}")
        artifacts = os.path.join(source_dir, "tests", "artifacts")
        os.makedirs(artifacts, exist_ok=True)
        shot = os.path.join(artifacts, "stats-page.png")
        if os.path.exists(shot):
            os.remove(shot)
        chromium(["--virtual-time-budget=5000", "--window-size=1200,800", f"--screenshot={shot}", base + "/"])
        if not os.path.exists(shot) or os.path.getsize(shot) < 5000:
            fail(f"no screenshot at {shot}")
        log(f"OK: screenshot {shot}")
        for path, status in (("/healthz", 200), ("/readyz", 200), ("/metrics", 200)):
            with urllib.request.urlopen(base + path, timeout=5) as response:
                if response.status != status:
                    fail(f"{path} answered {response.status}")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            fail("kstream-stats did not stop within 60 s of SIGTERM")
    if process.returncode != 0:
        fail(f"kstream-stats exited {process.returncode} after SIGTERM")
    compare("the table kstream-stats printed when stopped", parse_table(out), expected)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--app", required=True)
    parser.add_argument("--stats", required=True)
    parser.add_argument("--data", choices=["computed", "manifest"], required=True)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--page", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the test's topics")
    parser.add_argument("--published", action="store_true",
                        help="the expected table must also be the published one (full default size)")
    args = parser.parse_args()
    source_dir = os.path.abspath(args.source_dir)
    admin = ["/usr/bin/python3", os.path.join(source_dir, "scripts", "kafka-admin.py"), "--bootstrap", BOOTSTRAP]

    if run(["bash", os.path.join(source_dir, "scripts", "local-kafka.sh"), "start"], 600).returncode != 0:
        fail("the local broker did not start (scripts/local-kafka.sh start)")
    prefix = f"stats_e2e_{args.data}{'_page' if args.page else ''}_{os.getpid()}_{int(time.time())}"
    topic_in, topic_ext, topic_dlq, topic_stats = (f"{prefix}_in", f"{prefix}_ext", f"{prefix}_dlq",
                                                   f"{prefix}_stats")
    workdir = tempfile.mkdtemp(prefix="stats-e2e-")
    manifest_path = None
    created = [topic_in, topic_ext, topic_dlq, topic_stats]
    try:
        if run(admin + ["create", f"{topic_ext}:3", f"{topic_dlq}:3", f"{topic_stats}:3:compact"], 120).returncode:
            fail("cannot create the test's topics")
        if args.data == "computed":
            if run(admin + ["create", f"{topic_in}:3"], 120).returncode:
                fail("cannot create the input topic")
            records = synthetic_records(args.records)
            produce(topic_in, records)
            expected = expected_from_records(records)
        else:
            loader = os.path.join(source_dir, "scripts", "load-expedia.sh")
            if not os.path.exists(loader):
                fail("scripts/load-expedia.sh is missing")
            result = run(["bash", loader, "--records", str(args.records), "--topic", topic_in], 1200,
                         stdout=subprocess.PIPE, text=True)
            if result.returncode != 0 or not result.stdout.strip():
                fail(f"load-expedia.sh failed ({result.returncode})")
            manifest_path = result.stdout.strip().splitlines()[-1]
            if os.path.isdir(manifest_path):
                manifest_path = os.path.join(manifest_path, "manifest.json")
            with open(manifest_path) as f:
                manifest = json.load(f)
            expected = {c["stay_category"]: (c["records"], c["distinct_hotels"]) for c in manifest["categories"]}
            for c in CATEGORIES:
                expected.setdefault(c, (0, 0))
            if sum(v[0] for v in expected.values()) != manifest["records"]:
                fail("the manifest's categories do not add up to its record count")
        show(expected)
        if args.published:
            compare("the manifest of the full-size data set", expected, PUBLISHED, "the published table")

        app = [args.app, f"--kafka.input-topic={topic_in}", f"--kafka.output-topic={topic_ext}",
               f"--kafka.dlq-topic={topic_dlq}", f"--kafka.group-id={prefix}_app", "--job.drain", "--http.port=0"]
        if run(app, 900, cwd=workdir, stdout=subprocess.DEVNULL).returncode != 0:
            fail("kstream-app did not drain the input")

        stats_cmd = [args.stats, f"--kafka.input-topic={topic_ext}", f"--kafka.group-id={prefix}_stats",
                     f"--kafka.stats-topic={topic_stats}"]
        if args.page:
            page_check(source_dir, stats_cmd, expected, workdir)
        else:
            extra = [f"--expect-manifest={manifest_path}"] if args.data == "manifest" else []
            result = run(stats_cmd + ["--job.drain", "--http.port=0"] + extra, 600, cwd=workdir,
                         capture_output=True, text=True)
            sys.stderr.write(result.stderr[-3000:])
            print(result.stdout)
            if result.returncode != 0:
                fail(f"kstream-stats --job.drain exited {result.returncode}")
            compare("kstream-stats --job.drain", parse_table(result.stdout), expected)
            if extra and "The table equals the generator's manifest" not in result.stdout:
                fail("kstream-stats --expect-manifest did not confirm the manifest")
            if "unknown (" in result.stdout:
                fail("kstream-stats reports unknown records: the job wrote a value without a valid stay_category")
            # The changelog: the latest value per key is the final row.
            latest = {}
            for key, value in read_topic(topic_stats, f"{prefix}_changelog_reader"):
                row = json.loads(value)
                if key.decode() != row["stay_category"]:
                    fail(f"changelog key {key!r} does not match its value {row}")
                latest[key.decode()] = (row["records"], row["distinct_hotels"])
            for c in CATEGORIES:
                if expected[c][0] == 0:
                    latest.setdefault(c, (0, 0))  # a category without records has no row (as in ksqlDB)
            compare(f"the changelog topic {topic_stats} (latest value per key)", latest, expected)
            # The ksql statements' semantics over the same expedia_ext data.
            model = ksql_model(value for _, value in read_topic(topic_ext, f"{prefix}_ksql_model"))
            for c in CATEGORIES:
                model.setdefault(c, (0, 0))
            compare("the ksql statements' two-level aggregation (modelled) over expedia_ext", model, expected)
    finally:
        if not args.keep:
            subprocess.run(admin + ["delete"] + created, timeout=120, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    log("PASS")


if __name__ == "__main__":
    main()
