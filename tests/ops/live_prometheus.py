#!/usr/bin/python3
"""The dashboard and the alerts against a real Prometheus scraping a live job (ctest
ops.live_prometheus).

A long-running kstream-app on the local broker (topics of its own) gets a steady stream of
records, a share of them not JSON (so the DLQ counters move); Prometheus (the pinned build
of scripts/setup.d/42-ops-tools.sh) scrapes it every second and evaluates the alert rules of
charts/kstream-app/files/alerts.yaml with every `for:` shortened to 5 s (a test-only copy).
Then:
  1. every query of every panel of the dashboard (charts/kstream-app/files/dashboard.json,
     $job and $__rate_interval filled in), its variable's query, and every alert's expression
     without its threshold comparisons must return data;
  2. the job is stopped while input keeps flowing: KstreamAppDown must fire (read from
     /api/v1/alerts); the job is started again: the alert must resolve.
Every query is run and reported (written to --results) before the test fails on any.
"""
import argparse
import json
import math
import os
import random
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import yaml
from confluent_kafka import Producer

ROOT = Path(__file__).resolve().parents[2]
import kafka_testlib as lib  # noqa: E402  (tests/lib)

CHART_FILES = ROOT / "charts" / "kstream-app" / "files"
SCRAPE_JOB = "kstream-app"
RATE_INTERVAL = "30s"
ALERT_FOR = "5s"
# A comparison with a number: the alert's threshold (`> 0.01`, `== 0`).
THRESHOLD = re.compile(r"\s*(==|!=|>=|<=|>|<)\s*-?[0-9][0-9.e+]*(?![\w\[])")


def tools_bin():
    env = os.environ.get("KSTREAM_TOOLS_BIN")
    return Path(env) if env else Path.home() / ".cache" / "kstream-app" / "deploy-tools" / "bin"


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


class Prometheus:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path, **params):
        url = f"{self.base}{path}?{urllib.parse.urlencode(params)}" if params else f"{self.base}{path}"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body}")
        return body["data"]

    def query(self, expr):
        return self.get("/api/v1/query", query=expr)

    def alerts(self):
        return self.get("/api/v1/alerts")["alerts"]


def dashboard_queries():
    dashboard = json.loads((CHART_FILES / "dashboard.json").read_text())
    out = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$job", SCRAPE_JOB).replace("$__rate_interval", RATE_INTERVAL)
            out.append((f"panel {panel['title']!r} {target['refId']}", expr))
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            # label_values(METRIC, LABEL): the values of LABEL on METRIC's series.
            metric, label = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", variable["query"]["query"]).groups()
            out.append((f"variable ${variable['name']}", f"count by ({label}) ({metric})"))
    return out


def alert_rules():
    return [rule for group in yaml.safe_load((CHART_FILES / "alerts.yaml").read_text())["groups"]
            for rule in group["rules"] if "alert" in rule]


def describe(result):
    """A short text of a query result: series count and a few values."""
    if result["resultType"] == "scalar":
        return f"scalar {result['result'][1]}"
    items = result["result"]
    values = []
    for item in items[:4]:
        labels = {k: v for k, v in item["metric"].items() if k not in ("job", "instance")}
        values.append(f"{labels or ''}={float(item['value'][1]):.4g}")
    return f"{len(items)} series: " + ", ".join(values) + (" ..." if len(items) > 4 else "")


def has_data(result):
    if result["resultType"] == "scalar":
        return not math.isnan(float(result["result"][1]))
    return len(result["result"]) > 0


def feeder(topic, stop, counts):
    """Records with a known answer, ~200/s, every 25th value not JSON, until `stop`."""
    rng = random.Random(11)
    producer = Producer({"bootstrap.servers": lib.BOOTSTRAP, "linger.ms": 5})
    i = 0
    while not stop.is_set():
        for _ in range(20):
            value = b"not json %d" % i if i % 25 == 0 else lib.make_record(i, rng)[0].encode()
            producer.produce(topic, value=value, partition=i % 3, headers=[("trace-id", b"%d" % i)])
            i += 1
        producer.poll(0)
        time.sleep(0.1)
    producer.flush(30)
    counts["produced"] = i


def firing(api, name):
    return [a for a in api.alerts() if a["labels"]["alertname"] == name and a["state"] == "firing"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default=str(lib.BUILD_DIR / "ops-live-results.txt"))
    args = parser.parse_args()
    prometheus_bin = tools_bin() / "prometheus"
    assert prometheus_bin.exists(), f"{prometheus_bin} missing: run `make setup` (scripts/setup.d/42-ops-tools.sh)"
    lib.ensure_broker()
    topics = lib.create_topics("ops_live")
    group = f"ops-live-{topics['in']}"
    work = Path(tempfile.mkdtemp(prefix="kstream-ops-live-"))
    job_port, prom_port = lib.free_port(), lib.free_port()
    job_cmd = lib.job_args(topics, group, drain=False, http_port=job_port,
                           extra=["--job.commit-interval-ms=200"])

    rules = (CHART_FILES / "alerts.yaml").read_text()
    (work / "rules.yaml").write_text(re.sub(r"(?m)^(\s+for: ).*$", r"\g<1>" + ALERT_FOR, rules))
    (work / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "900ms"},
        "rule_files": [str(work / "rules.yaml")],
        "scrape_configs": [{"job_name": SCRAPE_JOB, "static_configs": [{"targets": [f"127.0.0.1:{job_port}"]}]}]}))

    stop_feed, counts = threading.Event(), {}
    feed = threading.Thread(target=feeder, args=(topics["in"], stop_feed, counts), daemon=True)
    procs = []
    report = [f"live Prometheus test {now()}: {subprocess.run([str(prometheus_bin), '--version'], capture_output=True, text=True).stdout.splitlines()[0]}",
              f"job: {' '.join(job_cmd)}"]
    failures = []
    try:
        job = lib.start_job(job_cmd, work / "job-1.log")
        procs.append(job)
        prom = subprocess.Popen([str(prometheus_bin), f"--config.file={work / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={work / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prom_port}",
                                 "--log.level=warn"],
                                stdout=open(work / "prometheus.log", "wb"), stderr=subprocess.STDOUT)
        procs.append(prom)
        feed.start()
        api = Prometheus(prom_port)
        lib.wait_for(lambda: _quiet(lambda: api.query("1")), 60, "Prometheus to answer")
        lib.wait_for(lambda: _quiet(lambda: has_data(api.query(
            f'sum(kstream_records_produced_total{{job="{SCRAPE_JOB}"}}) > 0'))), 90, "the job to be scraped and to produce")
        # Enough samples for the rate windows (30 s) to hold several points each.
        time.sleep(20)

        # 1. every panel's query and every alert's expression returns data
        checks = dashboard_queries() + [(f"alert {r['alert']}", THRESHOLD.sub("", r["expr"]).strip())
                                        for r in alert_rules()]
        for name, expr in checks:
            try:
                result = api.query(expr)
                ok = has_data(result)
                text = describe(result)
            except (AssertionError, OSError) as exc:
                ok, text = False, f"error: {exc}"
            report.append(f"{'data' if ok else 'NO DATA'}  {name}: {expr}\n          -> {text}")
            if not ok:
                failures.append(name)
        firing_now = [a["labels"]["alertname"] for a in api.alerts() if a["state"] == "firing"]
        report.append(f"alerts firing while the job runs: {firing_now or 'none'}")

        # 2. the job stopped while input flows: KstreamAppDown fires; started again: resolves
        stopped_at = now()
        job.send_signal(signal.SIGTERM)
        code = job.wait(timeout=60)
        report.append(f"{stopped_at} job stopped (SIGTERM, exit {code}) while input flows")
        lib.wait_for(lambda: _quiet(lambda: firing(api, "KstreamAppDown")), 90, "KstreamAppDown to fire")
        down = firing(api, "KstreamAppDown")[0]
        report.append(f"{now()} KstreamAppDown firing (activeAt {down['activeAt']}): {down['annotations']['summary']}")
        others = sorted({a["labels"]["alertname"] for a in api.alerts() if a["state"] == "firing"})
        report.append(f"          firing then: {others}")
        restarted_at = now()
        job = lib.start_job(job_cmd, work / "job-2.log")
        procs.append(job)
        report.append(f"{restarted_at} job started again")
        lib.wait_for(lambda: _quiet(lambda: not [a for a in api.alerts() if a["labels"]["alertname"] == "KstreamAppDown"]),
                     90, "KstreamAppDown to resolve")
        report.append(f"{now()} KstreamAppDown resolved (no longer in /api/v1/alerts)")
        stop_feed.set()
        feed.join(timeout=60)
        report.append(f"records fed: {counts.get('produced')}")
        job.send_signal(signal.SIGTERM)
        code = job.wait(timeout=60)
        assert code == 0, f"the restarted job exited {code}; log: {work / 'job-2.log'}"
    finally:
        stop_feed.set()
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        text = "\n".join(report)
        Path(args.results).write_text(text + "\n")
        print(text)
        print(f"(job and Prometheus logs in {work})")
    assert not failures, f"{len(failures)} queries returned no data: {failures}"
    print(f"all {len(checks)} queries returned data; KstreamAppDown fired and resolved")


def _quiet(fn):
    try:
        return fn()
    except (OSError, AssertionError):
        return None


if __name__ == "__main__":
    main()
