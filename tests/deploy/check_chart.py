#!/usr/bin/env python3
"""Checks on `helm template` output of charts/kstream-app (called by chart.sh).

usage: check_chart.py DEFAULT.yaml ALL_FEATURES.yaml app/caf-application.ini [STATEFULSET.yaml]

DEFAULT renders the Deployment mode, ALL_FEATURES (and STATEFULSET, the defaults with
workload.kind=StatefulSet) the StatefulSet mode.
"""
import json
import math
import os
import re
import sys

import yaml

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def load(path):
    return [d for d in yaml.safe_load_all(open(path)) if d]


def by_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def parse_ini(text):
    """CAF INI: [section], key=value, ';' comments. Returns {section: {key: raw value}}."""
    sections, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        m = re.fullmatch(r"\[([a-z0-9-]+)\]", line)
        if m:
            current = sections.setdefault(m.group(1), {})
            continue
        key, sep, value = line.partition("=")
        if not sep or current is None:
            raise ValueError(f"not an INI line: {line!r}")
        current[key.strip()] = value.strip()
    return sections


def value_kind(raw):
    if raw.startswith('"') and raw.endswith('"'):
        return "string"
    if raw.startswith("[") and raw.endswith("]"):
        return "list"
    if raw in ("true", "false"):
        return "bool"
    if re.fullmatch(r"-?[0-9]+", raw):
        return "int"
    return "other:" + raw


def ini_of(docs, name_suffix=""):
    cms = [d for d in by_kind(docs, "ConfigMap") if "caf-application.ini" in d.get("data", {})]
    check(len(cms) == 1, "exactly one ConfigMap with caf-application.ini")
    return parse_ini(cms[0]["data"]["caf-application.ini"]), cms[0]


WORKLOAD_KINDS = ("Deployment", "StatefulSet")


def container(docs):
    dep = [d for d in docs if d["kind"] in WORKLOAD_KINDS]
    check(len(dep) == 1, f"one workload (Deployment or StatefulSet): {[d['kind'] for d in dep]}")
    return dep[0], dep[0]["spec"]["template"]["spec"]["containers"][0]


def job_service(docs):
    """The Service of the job's HTTP port (not the StatefulSet's headless one)."""
    return [d for d in by_kind(docs, "Service") if d["spec"].get("clusterIP") != "None"]


def identity_checks(docs, ini, dep, c, label):
    """Each pod's identity: --kafka.instance-name from its own name (downward API), so that the
    transactional id and group.instance.id are <group-id>-<pod name>; in StatefulSet mode
    static membership on and a headless governing Service; in Deployment mode neither."""
    check("--kafka.instance-name=$(KSTREAM_POD_NAME)" in c["args"], f"{label}: instance name from the pod's name")
    env = {e["name"]: e for e in c.get("env", [])}
    check(env.get("KSTREAM_POD_NAME", {}).get("valueFrom") == {"fieldRef": {"fieldPath": "metadata.name"}},
          f"{label}: KSTREAM_POD_NAME from metadata.name")
    check(ini["kafka"]["instance-name"] == '""' and ini["kafka"]["transactional-id"] == '""',
          f"{label}: no fixed instance name or transactional id in the shared ConfigMap")
    headless = [d for d in by_kind(docs, "Service") if d["spec"].get("clusterIP") == "None"]
    if dep["kind"] == "StatefulSet":
        check(ini["kafka"]["static-membership"] == "true", f"{label}: static membership on in StatefulSet mode")
        check(len(headless) == 1 and dep["spec"].get("serviceName") == headless[0]["metadata"]["name"],
              f"{label}: the StatefulSet's serviceName is its headless Service")
        if headless:
            check(headless[0]["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"],
                  f"{label}: the headless Service selects the StatefulSet's pods")
        check(dep["spec"].get("podManagementPolicy") == "Parallel", f"{label}: pods start in parallel")
        check("volumeClaimTemplates" not in dep["spec"], f"{label}: no volumes (the job keeps no state)")
    else:
        check(ini["kafka"]["static-membership"] == "false", f"{label}: static membership off in Deployment mode")
        check(not headless, f"{label}: no headless Service in Deployment mode")


def common_checks(docs, label, shutdown_ms):
    ini, cm = ini_of(docs)
    dep, c = container(docs)
    pod = dep["spec"]["template"]["spec"]
    check(c["args"] == ["--config-file=/etc/kstream-app/caf-application.ini", "--kafka.instance-name=$(KSTREAM_POD_NAME)"],
          f"{label}: --config-file and --kafka.instance-name arguments")
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    check("/etc/kstream-app" in mounts and mounts["/etc/kstream-app"].get("readOnly"), f"{label}: config mounted read-only")
    vols = {v["name"]: v for v in pod["volumes"]}
    check(vols[mounts["/etc/kstream-app"]["name"]]["configMap"]["name"] == cm["metadata"]["name"], f"{label}: config volume is the ConfigMap")
    port = int(ini["http"]["port"])
    check(c["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}], f"{label}: container port {port}")
    check(c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, f"{label}: liveness /healthz")
    check(c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, f"{label}: readiness /readyz")
    check(c["startupProbe"]["httpGet"]["path"] == "/healthz", f"{label}: startup /healthz")
    sc = c["securityContext"]
    check(sc.get("allowPrivilegeEscalation") is False, f"{label}: no privilege escalation")
    check(sc.get("readOnlyRootFilesystem") is True, f"{label}: read-only root filesystem")
    check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{label}: capabilities dropped")
    check(pod["securityContext"].get("runAsNonRoot") is True and pod["securityContext"].get("runAsUser", 0) > 0,
          f"{label}: non-root")
    grace = pod["terminationGracePeriodSeconds"]
    check(grace >= math.ceil(shutdown_ms / 1000), f"{label}: grace {grace}s covers shutdown-timeout-ms {shutdown_ms}")
    check(int(ini["job"]["shutdown-timeout-ms"]) == shutdown_ms, f"{label}: shutdown-timeout-ms rendered")
    ann = dep["spec"]["template"]["metadata"]["annotations"]
    check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == str(port)
          and ann.get("prometheus.io/path") == "/metrics", f"{label}: Prometheus scrape annotations")
    check(re.fullmatch(r"[0-9a-f]{64}", ann.get("checksum/config", "")) is not None, f"{label}: config checksum annotation")
    check(c["resources"].get("requests") and c["resources"].get("limits"), f"{label}: resources")
    check(pod["automountServiceAccountToken"] is False, f"{label}: no API token mounted")
    pdb = by_kind(docs, "PodDisruptionBudget")
    check(len(pdb) == 1 and pdb[0]["spec"]["selector"]["matchLabels"].items() <= dep["spec"]["template"]["metadata"]["labels"].items(),
          f"{label}: PodDisruptionBudget selects the pods")
    svc = job_service(docs)
    check(len(svc) == 1 and svc[0]["spec"]["ports"][0]["name"] == "http", f"{label}: Service names the http port")
    # No secret material in any ConfigMap.
    for d in by_kind(docs, "ConfigMap"):
        text = json.dumps(d.get("data", {})).lower()
        check("sasl.password=" not in text and "sasl.username=" not in text, f"{label}: no credentials in ConfigMap {d['metadata']['name']}")
    # No other pod of the release (ksql Job, helm test) may match the job's selectors: the
    # Deployment would count it, the Service route to it, the PDB guard it (and block drains).
    selectors = [(dep["kind"], dep["spec"]["selector"]["matchLabels"]),
                 ("Service", svc[0]["spec"]["selector"])] + [("PodDisruptionBudget", pdb[0]["spec"]["selector"]["matchLabels"])]
    for d in docs:
        tmpl = d.get("spec", {}).get("template") if d["kind"] in ("Job",) else (d if d["kind"] == "Pod" else None)
        if tmpl is None:
            continue
        labels = tmpl["metadata"].get("labels", {})
        for kind, sel in selectors:
            check(not sel.items() <= labels.items(),
                  f"{label}: {d['kind']}/{d['metadata']['name']}'s pod is not selected by the {kind} ({sel})")
    # helm test: a test hook that asks the Service for /readyz.
    tests = [d for d in by_kind(docs, "Pod") if d["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"]
    check(len(tests) == 1, f"{label}: one `helm test` pod")
    if tests:
        t = tests[0]["spec"]
        env = {e["name"]: e.get("value") for e in t["containers"][0].get("env", [])}
        svc_var = svc[0]["metadata"]["name"].upper().replace("-", "_") + "_SERVICE_HOST"
        check(env.get("SERVICE") == f"$({svc_var})" and env.get("PORT") == str(port)
              and "/readyz" in t["containers"][0]["args"][0], f"{label}: helm test asks the Service for /readyz")
        check(t["containers"][0]["image"] == c["image"], f"{label}: helm test runs the job's image (nothing else to pull)")
        check(t["containers"][0]["securityContext"].get("readOnlyRootFilesystem") is True, f"{label}: helm test read-only root")
    identity_checks(docs, ini, dep, c, label)
    return ini, dep, c


def default_spread_checks(dep, label):
    """The default spread: over nodes and zones, preferred, counting only pods of the same
    revision (the label the workload kind sets on its pods)."""
    revision_label = "controller-revision-hash" if dep["kind"] == "StatefulSet" else "pod-template-hash"
    tsc = dep["spec"]["template"]["spec"].get("topologySpreadConstraints", [])
    check(len(tsc) == 2, f"{label}: two default spread constraints")
    for t in tsc:
        check(t["whenUnsatisfiable"] == "ScheduleAnyway" and t["maxSkew"] == 1
              and t["labelSelector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"]
              and t.get("matchLabelKeys") == [revision_label],
              f"{label} spread {t['topologyKey']}: maxSkew 1, ScheduleAnyway, over the job's pods of one revision")


def main():
    default_docs, all_docs = load(sys.argv[1]), load(sys.argv[2])
    app_ini = parse_ini(open(sys.argv[3]).read())

    # --- default values ------------------------------------------------------------
    kinds = sorted(d["kind"] for d in default_docs)
    check(kinds == ["ConfigMap", "Deployment", "NetworkPolicy", "NetworkPolicy", "Pod", "PodDisruptionBudget", "Service", "ServiceAccount"],
          f"default kinds: {kinds}")
    ini, dep, c = common_checks(default_docs, "default", 30000)
    # The chart's config has the app's sections and keys, each of the app's type, with the
    # app's default value except the broker address (CFK's in-cluster listener) and static
# membership (off: a Deployment's pods change names).
    check(ini.keys() == app_ini.keys(), f"sections {sorted(ini)} == app's {sorted(app_ini)}")
    for section, entries in app_ini.items():
        got = ini.get(section, {})
        check(got.keys() == entries.keys(), f"[{section}] keys {sorted(got)} == app's {sorted(entries)}")
        for key, raw in entries.items():
            if key not in got:
                continue
            check(value_kind(got[key]) == value_kind(raw), f"[{section}] {key}: {got[key]} is a {value_kind(raw)} like the app's {raw}")
            if (section, key) == ("kafka", "bootstrap-servers"):
                check(got[key] == '"kafka.confluent.svc.cluster.local:9071"', "default broker is CFK's kafka service in namespace confluent")
            elif (section, key) == ("kafka", "properties"):
                # The secured platform of confluent/ (check_confluent.py checks they match it).
                check(got[key] == '["security.protocol=SASL_SSL", "sasl.mechanisms=PLAIN", "ssl.ca.location=/etc/kafka-tls/kafka-ca/ca.crt"]',
                      f"default librdkafka properties: TLS with the platform's CA, SASL/PLAIN: {got[key]}")
            elif (section, key) == ("kafka", "static-membership"):
                # Deliberately off: pod names of a Deployment change when a pod is replaced.
                check(got[key] == "false", "static membership off in a Deployment")
            else:
                check(got[key] == raw, f"[{section}] {key}: chart default {got[key]} == app default {raw}")
    check(dep["kind"] == "Deployment", f"default: a Deployment ({dep['kind']})")
    check(dep["spec"]["replicas"] == 1, "default: one replica")
    # Memory derives from one place: the job's byte bound (max-in-flight-bytes) through the
    # chart's memorySizing rule, which tests/faults/test_limits.py measures the job against.
    values = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "..", "..", "charts", "kstream-app", "values.yaml")))
    sizing = values["memorySizing"]
    in_flight = int(ini["job"]["max-in-flight-bytes"])
    check(in_flight == values["config"]["job"]["max-in-flight-bytes"], "default max-in-flight-bytes rendered")
    bound = math.ceil(sizing["fixedOverheadMiB"] + sizing["perInFlightByte"] * in_flight / 2**20)
    needed = -(-bound * (100 + sizing["marginPercent"]) // 100)
    memory = c["resources"]
    check(memory["requests"].get("memory") == f"{bound}Mi", f"default memory request {memory['requests'].get('memory')} == the job's bound {bound}Mi")
    check(memory["limits"].get("memory") == f"{needed}Mi", f"default memory limit {memory['limits'].get('memory')} == bound + {sizing['marginPercent']}% = {needed}Mi")
    check(needed <= 512, f"default memory limit {needed}Mi fits the 512Mi the chart always had")
    check([e["name"] for e in c["env"] if "secretKeyRef" not in e.get("valueFrom", {})] == ["KSTREAM_POD_NAME"],
          "default: no env but the pod's name and the login")
    check({e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
          == {"kstream-app-kafka"}, "default: the job's login from Secret kstream-app-kafka (make deploy-cfk-secrets)")
    check(c["image"] == "kstream-app:0.1.0", f"default image: {c['image']}")
    # Default spread: over nodes and zones, preferred (a one-node cluster still schedules).
    tsc = dep["spec"]["template"]["spec"].get("topologySpreadConstraints", [])
    check(sorted(t["topologyKey"] for t in tsc) == ["kubernetes.io/hostname", "topology.kubernetes.io/zone"],
          f"default: replicas spread over nodes and zones: {tsc}")
    default_spread_checks(dep, "default")

    # --- every optional feature ------------------------------------------------------
    kinds = sorted(d["kind"] for d in all_docs)
    check(kinds == sorted(["ConfigMap", "ConfigMap", "StatefulSet", "Job", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy", "Pod",
                           "PodDisruptionBudget", "ScaledObject", "Service", "Service", "ServiceAccount", "ServiceMonitor"]),
          f"all-features kinds: {kinds}")
    ini, dep, c = common_checks(all_docs, "all-features", 45000)
    check(dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 60, "explicit grace period kept")
    check("replicas" not in dep["spec"], "with KEDA the workload leaves replicas to the ScaledObject")
    tsc = dep["spec"]["template"]["spec"]["topologySpreadConstraints"]
    check(len(tsc) == 1 and tsc[0]["topologyKey"] == "kubernetes.io/hostname", "explicit topologySpreadConstraints replace the default")
    check(ini["kafka"]["properties"] == '["security.protocol=SASL_SSL", "sasl.mechanisms=PLAIN", "ssl.ca.location=/etc/kafka-tls/kafka-ca/ca.crt", '
          '"ssl.certificate.location=/etc/kafka-tls/kstream-app-tls/tls.crt", "ssl.key.location=/etc/kafka-tls/kstream-app-tls/tls.key"]',
          f"list rendering: {ini['kafka']['properties']}")
    env = {e["name"]: e for e in c["env"]}
    for prop, key in (("SASL_USERNAME", "username"), ("SASL_PASSWORD", "password")):
        e = env.get("KSTREAM_RDKAFKA_" + prop)
        check(e is not None and e["valueFrom"]["secretKeyRef"] == {"name": "kstream-app-kafka", "key": key},
              f"KSTREAM_RDKAFKA_{prop} from Secret kstream-app-kafka key {key}")
    check(env.get("TZ", {}).get("value") == "UTC", "extraEnv passed through")
    so = by_kind(all_docs, "ScaledObject")[0]["spec"]
    trig = so["triggers"][0]
    check(so["maxReplicaCount"] == 3 and so["scaleTargetRef"]["name"] == dep["metadata"]["name"]
          and so["scaleTargetRef"]["kind"] == dep["kind"], f"ScaledObject targets the {dep['kind']}, max 3")
    check(trig["type"] == "kafka" and trig["metadata"]["topic"] == "expedia" and trig["metadata"]["consumerGroup"] == "kstream-app"
          and trig["metadata"]["allowIdleConsumers"] == "false", "KEDA kafka trigger on the job's group and topic")
    check(trig.get("authenticationRef", {}).get("name") == "kstream-app-kafka-auth", "KEDA authenticationRef")
    sm = by_kind(all_docs, "ServiceMonitor")[0]
    check(sm["spec"]["endpoints"][0]["port"] == "http" and sm["spec"]["endpoints"][0]["path"] == "/metrics", "ServiceMonitor scrapes /metrics")
    check(sm["metadata"]["labels"].get("release") == "prometheus", "ServiceMonitor extra labels")
    job = by_kind(all_docs, "Job")[0]
    check(job["metadata"]["annotations"]["helm.sh/hook"] == "post-install", "ksql Job is a post-install hook")
    jc = job["spec"]["template"]["spec"]["containers"][0]
    check(jc["args"][-1] == "https://ksqldb.confluent.svc.cluster.local:8088/ksql", f"ksql Job posts to ksqlDB: {jc['args'][-1]}")
    check(jc["securityContext"].get("readOnlyRootFilesystem") is True, "ksql Job: read-only root filesystem")
    req_cm = [d for d in by_kind(all_docs, "ConfigMap") if "request.json" in d.get("data", {})][0]
    body = json.loads(req_cm["data"]["request.json"])
    chart_sql = os.path.join(os.path.dirname(sys.argv[3]), "..", "charts", "kstream-app", "files", "ksql", "stay_counts.sql")
    if os.path.exists(chart_sql):
        check(body["ksql"] == open(chart_sql).read(), "ksql request holds files/ksql/stay_counts.sql verbatim")
    else:
        check(body["ksql"] == "SHOW STREAMS;", "ksql request holds the inline statements")
    check(body["streamsProperties"] == {"ksql.streams.auto.offset.reset": "earliest"}, "ksql streamsProperties")

    # --- the defaults in StatefulSet mode ----------------------------------------------------
    if len(sys.argv) > 4:
        sts_docs = load(sys.argv[4])
        kinds = sorted(d["kind"] for d in sts_docs)
        check(kinds == ["ConfigMap", "NetworkPolicy", "NetworkPolicy", "Pod", "PodDisruptionBudget", "Service", "Service", "ServiceAccount", "StatefulSet"],
              f"statefulset kinds: {kinds}")
        sts_ini, sts, _c = common_checks(sts_docs, "statefulset", 30000)
        check(sts["kind"] == "StatefulSet" and sts["spec"]["replicas"] == 1, "statefulset: one replica")
        default_spread_checks(sts, "statefulset")
        # Only static membership differs from the Deployment's configuration.
        dep_ini, _cm = ini_of(default_docs)
        sts_ini["kafka"]["static-membership"] = "false"
        check(sts_ini == dep_ini, "statefulset: the same configuration as the Deployment but static membership")

    if failures:
        for f in failures:
            print("FAIL:", f, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
