#!/usr/bin/python3
"""The alert rules and the dashboard: one source each, and what the chart makes of them.

  check_monitoring.py rules   promtool check rules + promtool test rules (tests/ops/alerts_test.yaml)
  check_monitoring.py chart   docs/grafana-dashboard.json equals the chart's; `helm template`
                              renders the PrometheusRule from files/alerts.yaml (job = the Service's
                              name, the container's memory limit) only with the
                              ServiceMonitor, the dashboard ConfigMap with the sidecar label only
                              on request; every alert has its section in docs/operations.md
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "charts" / "kstream-app" / "files"
# The memory limit the plain rules file divides by; the chart puts the container's in its place.
PLAIN_MEMORY_LIMIT = "419430400"
TOOLS = Path(os.environ.get("KSTREAM_TOOLS_BIN", Path.home() / ".cache" / "kstream-app" / "deploy-tools" / "bin"))
checks = 0


def ok(what):
    global checks
    checks += 1
    print(f"ok: {what}")


def run(*cmd):
    tool = TOOLS / cmd[0]
    assert tool.exists(), f"{tool} missing: run `make setup`"
    result = subprocess.run([str(tool), *cmd[1:]], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, f"{' '.join(cmd)}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def rules():
    out = run("promtool", "check", "rules", str(FILES / "alerts.yaml"))
    ok(f"promtool check rules: {out.strip().splitlines()[-1]}")
    out = run("promtool", "test", "rules", str(ROOT / "tests" / "ops" / "alerts_test.yaml"))
    ok(f"promtool test rules: {out.strip().splitlines()[-1]}")


def render(*sets):
    args = ["helm", "template", "kstream-app", "charts/kstream-app", "--namespace", "confluent"]
    for s in sets:
        args += ["--set", s]
    return [d for d in yaml.safe_load_all(run(*args)) if d]


def kinds(docs):
    return sorted(d["kind"] for d in docs)


def chart():
    dashboard = (FILES / "dashboard.json").read_bytes()
    assert (ROOT / "docs" / "grafana-dashboard.json").read_bytes() == dashboard, \
        "docs/grafana-dashboard.json differs from charts/kstream-app/files/dashboard.json: copy the chart's over it"
    ok("docs/grafana-dashboard.json equals the chart's files/dashboard.json")
    panels = json.loads(dashboard)["panels"]
    assert panels and all(p.get("targets") for p in panels)
    ok(f"dashboard: {len(panels)} panels, each with queries")

    default = render()
    assert "PrometheusRule" not in kinds(default) and not any(
        d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-dashboard") for d in default)
    ok("default values: no PrometheusRule, no dashboard ConfigMap")
    no_rules = render("metrics.serviceMonitor.enabled=true", "metrics.prometheusRule.enabled=false")
    assert "PrometheusRule" not in kinds(no_rules)
    ok("ServiceMonitor with prometheusRule.enabled=false: no PrometheusRule")

    source = yaml.safe_load((FILES / "alerts.yaml").read_text())
    docs = render("metrics.serviceMonitor.enabled=true", "fullnameOverride=kstream-prod",
                  "resources.limits.memory=1Gi", "metrics.prometheusRule.labels.release=prometheus",
                  "metrics.grafanaDashboard.enabled=true", "metrics.grafanaDashboard.namespace=monitoring")
    rule = next(d for d in docs if d["kind"] == "PrometheusRule")
    expected = yaml.safe_load((FILES / "alerts.yaml").read_text()
                              .replace('job="kstream-app"', 'job="kstream-prod"').replace(PLAIN_MEMORY_LIMIT, "1073741824"))
    assert rule["spec"] == expected, "the PrometheusRule's spec differs from files/alerts.yaml"
    assert rule["metadata"]["labels"]["release"] == "prometheus"
    service = next(d for d in docs if d["kind"] == "Service")
    assert service["metadata"]["name"] == "kstream-prod"
    rendered = yaml.safe_dump(rule["spec"])
    assert 'job="kstream-app"' not in rendered and PLAIN_MEMORY_LIMIT not in rendered
    ok(f"PrometheusRule = files/alerts.yaml ({sum(len(g['rules']) for g in source['groups'])} alerts), "
       "job = the Service's name, memory limit 1Gi = 1073741824 bytes")
    cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "kstream-prod-dashboard")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1" and cm["metadata"]["namespace"] == "monitoring"
    assert json.loads(cm["data"]["kstream-app.json"]) == json.loads(dashboard)
    ok("dashboard ConfigMap: sidecar label grafana_dashboard=1, the dashboard's JSON unchanged")

    # StatefulSet mode has a second (headless) Service: the ServiceMonitor selects one Service,
    # the one whose name the PrometheusRule's job label carries.
    docs = render("metrics.serviceMonitor.enabled=true", "workload.kind=StatefulSet")
    monitor = next(d for d in docs if d["kind"] == "ServiceMonitor")["spec"]["selector"]
    services = [d for d in docs if d["kind"] == "Service"]

    def selects(labels):
        return all(labels.get(k) == v for k, v in monitor.get("matchLabels", {}).items()) and all(
            labels.get(e["key"]) not in e["values"] for e in monitor.get("matchExpressions", []) if e["operator"] == "NotIn")
    chosen = [s["metadata"]["name"] for s in services if selects(s["metadata"]["labels"])]
    assert len(services) == 2 and chosen == ["kstream-app"], chosen
    assert 'job="kstream-app"' in yaml.safe_dump(next(d for d in docs if d["kind"] == "PrometheusRule")["spec"], width=1000)
    ok("StatefulSet mode: the ServiceMonitor selects the Service kstream-app only, not the headless one")

    for memory, bytes_ in (("512Mi", 536870912), ("500M", 476 * 1048576), ("2Gi", 2147483648)):
        spec = next(d for d in render("metrics.serviceMonitor.enabled=true", f"resources.limits.memory={memory}")
                    if d["kind"] == "PrometheusRule")["spec"]
        assert f"/ {bytes_} > 0.9" in yaml.safe_dump(spec, width=1000), memory
    ok("memory limits 512Mi, 500M, 2Gi in the memory alert (whole MiB)")
    docs = render("metrics.serviceMonitor.enabled=true")
    pod = next(d for d in docs if d["kind"] in ("Deployment", "StatefulSet"))["spec"]["template"]["spec"]
    derived = pod["containers"][0]["resources"]["limits"]["memory"]
    assert derived.endswith("Mi"), derived
    spec = next(d for d in docs if d["kind"] == "PrometheusRule")["spec"]
    assert f"/ {int(derived[:-2]) * 1048576} > 0.9" in yaml.safe_dump(spec, width=1000)
    ok(f"no memory limit given: the alert uses the one the chart derives ({derived})")
    assert f"/ {PLAIN_MEMORY_LIMIT} > 0.9" in (FILES / "alerts.yaml").read_text() \
        and int(derived[:-2]) * 1048576 == int(PLAIN_MEMORY_LIMIT), \
        f"files/alerts.yaml (the plain rules file) must divide by the chart's default limit {derived}"
    ok(f"the plain rules file's memory limit {PLAIN_MEMORY_LIMIT} = the chart's default {derived}")

    runbook = (ROOT / "docs" / "operations.md").read_text()
    anchors = {re.sub(r"[^a-z0-9 -]", "", line[4:].strip().lower()).replace(" ", "-")
               for line in runbook.splitlines() if line.startswith("### ")}
    for group in source["groups"]:
        for r in group["rules"]:
            anchor = r["annotations"]["runbook"].split("#")[1]
            assert anchor == r["alert"].lower() and anchor in anchors, f"{r['alert']}: no '### {r['alert']}' in docs/operations.md"
    ok("every alert has its section in docs/operations.md")


if __name__ == "__main__":
    {"rules": rules, "chart": chart}[sys.argv[1]]()
    print(f"{checks} passed, 0 failed")
