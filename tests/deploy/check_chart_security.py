#!/usr/bin/env python3
"""What the chart's renderings must say about security (called by chart.sh).

usage: check_chart_security.py DEFAULT_RENDER.yaml ALL_FEATURES_RENDER.yaml

Every pod passes the Pod Security "restricted" profile; the job's pod gets no service-link
variables, reads its TLS files from Secrets mounted read-only and its passwords from Secrets as
variables, never from the ConfigMap; a NetworkPolicy lets in only the HTTP port (from the
namespace and the monitoring namespaces) and out only to the brokers and DNS.
"""
import re
import sys

import yaml

failures = []
# librdkafka properties that hold secrets (values.schema.json refuses them in config too).
SECRET_PROPERTY = re.compile(r"^\s*([a-z0-9._-]*(password|secret)[a-z0-9._-]*|sasl\.username|sasl\.jaas\.config|"
                             r"sasl\.oauthbearer\.config|ssl\.key\.pem|ssl_key|ssl\.certificate\.pem|ssl_certificate|"
                             r"ssl\.ca\.pem|ssl_ca)\s*=")
# Volume types the restricted profile allows.
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
TLS_ROOT = "/etc/kafka-tls/"


def check(cond, what):
    if not cond:
        failures.append(what)


def pods(docs):
    """(where, pod spec) of every pod the rendering makes."""
    for d in docs:
        if d["kind"] == "Pod":
            yield f"Pod/{d['metadata']['name']}", d["spec"]
        elif d["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"]


def restricted(where, pod):
    """The Pod Security Standards' restricted profile (latest), field by field."""
    psc = pod.get("securityContext") or {}
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        check(not pod.get(flag), f"{where}: {flag} (restricted forbids host namespaces)")
    check((psc.get("seccompProfile") or {}).get("type") in ("RuntimeDefault", "Localhost"), f"{where}: seccompProfile RuntimeDefault")
    for v in pod.get("volumes", []):
        kinds = set(v) - {"name"}
        check(kinds <= RESTRICTED_VOLUMES, f"{where}: volume {v['name']} of type {sorted(kinds)}")
    for c in pod.get("initContainers", []) + pod["containers"]:
        sc = c.get("securityContext") or {}
        cw = f"{where} container {c['name']}"
        check(sc.get("allowPrivilegeEscalation") is False, f"{cw}: allowPrivilegeEscalation false")
        check(not sc.get("privileged"), f"{cw}: not privileged")
        check((sc.get("capabilities") or {}).get("drop") == ["ALL"] and not (sc.get("capabilities") or {}).get("add"),
              f"{cw}: capabilities drop ALL, add none")
        check(sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, f"{cw}: runAsNonRoot")
        check(sc.get("runAsUser", psc.get("runAsUser", 1)) != 0, f"{cw}: not user 0")
        check(not any(p.get("hostPort") for p in c.get("ports", [])), f"{cw}: no hostPort")


def ini_properties(docs):
    for d in docs:
        if d["kind"] == "ConfigMap" and "caf-application.ini" in d.get("data", {}):
            ini = d["data"]["caf-application.ini"]
            m = re.search(r"^properties=\[(.*)\]$", ini, re.M)
            return ini, re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)) if m else []
    failures.append("no caf-application.ini ConfigMap")
    return "", []


def job_pod(docs):
    workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
    check(len(workloads) == 1, "one workload")
    return workloads[0] if workloads else None


def check_job(label, docs):
    workload = job_pod(docs)
    if workload is None:
        return
    pod = workload["spec"]["template"]["spec"]
    where = f"{label} {workload['kind']}"
    check(pod.get("enableServiceLinks") is False,
          f"{where}: enableServiceLinks false (a Service named kstream-rdkafka-... would become librdkafka properties)")
    ini, props = ini_properties(docs)
    for p in props:
        check(not SECRET_PROPERTY.match(p), f"{label}: secret-like property in the ConfigMap: {p.split('=', 1)[0]}")
    check("password" not in ini.lower(), f"{label}: the word password in the ConfigMap")
    c = pod["containers"][0]
    mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
    tls = {}
    for v in pod["volumes"]:
        m = mounts.get(v["name"])
        if m and m["mountPath"].startswith(TLS_ROOT):
            check("secret" in v, f"{where}: {m['mountPath']} is not a Secret")
            check(m.get("readOnly") is True, f"{where}: {m['mountPath']} mounted read-only")
            check(m["mountPath"] == TLS_ROOT + v.get("secret", {}).get("secretName", "?"),
                  f"{where}: Secret mounted at {TLS_ROOT}<its name>: {m['mountPath']}")
            check(v.get("secret", {}).get("defaultMode") == 0o440, f"{where}: {m['mountPath']} files 0440 (owner and fsGroup)")
            tls[m["mountPath"]] = v
    for p in props:
        name, _, value = p.partition("=")
        if name.endswith(".location") and name.startswith("ssl."):
            check(any(value.startswith(path + "/") for path in tls), f"{label}: {name}={value} is not in a mounted Secret")
    for e in c.get("env", []):
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            check(e["name"].startswith("KSTREAM_RDKAFKA_"), f"{where}: Secret variable {e['name']}")
    return workload, props


def check_network_policy(label, docs, workload):
    if workload is None:
        return
    nps = [d for d in docs if d["kind"] == "NetworkPolicy"
           and d["spec"]["podSelector"] == {"matchLabels": workload["spec"]["selector"]["matchLabels"]}]
    check(len(nps) == 1, f"{label}: one NetworkPolicy selects the job's pods")
    # Every other pod of the rendering (helm test, the ksqlDB Job) has a policy of its own.
    for where, pod in pods(docs):
        if where.startswith(("Pod/", "Job/")):
            labels = next(d for d in docs if f"{d['kind']}/{d['metadata']['name']}" == where)
            labels = (labels["metadata"] if labels["kind"] == "Pod" else labels["spec"]["template"]["metadata"])["labels"]
            check(any(d["kind"] == "NetworkPolicy" and d["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
                      for d in docs), f"{label}: a NetworkPolicy selects {where}")
    if not nps:
        return
    spec = nps[0]["spec"]
    check(sorted(spec.get("policyTypes", [])) == ["Egress", "Ingress"], f"{label}: NetworkPolicy for ingress and egress")
    port = workload["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    ingress = spec.get("ingress", [])
    check(len(ingress) == 1 and ingress[0].get("ports") == [{"protocol": "TCP", "port": port}],
          f"{label}: ingress to the HTTP port {port} only: {ingress}")
    for rule in ingress:
        peers = rule.get("from", [])
        check(peers and {"podSelector": {}} in peers, f"{label}: ingress from the release's namespace")
        for peer in peers:
            check(peer == {"podSelector": {}} or set(peer) == {"namespaceSelector"},
                  f"{label}: ingress from the namespace or whole (monitoring) namespaces only: {peer}")
            check("ipBlock" not in peer, f"{label}: no ingress from address blocks")
    egress = spec.get("egress", [])
    check(len(egress) >= 2, f"{label}: egress to the brokers and DNS")
    for rule in egress:
        check(rule.get("to") and rule.get("ports"), f"{label}: every egress rule names destinations and ports: {rule}")
        for peer in rule.get("to", []):
            check(peer.get("ipBlock", {}).get("cidr") not in ("0.0.0.0/0", "::/0"), f"{label}: no egress to everywhere")
    dns = [r for r in egress if {p.get("port") for p in r.get("ports", [])} == {53}]
    check(len(dns) == 1 and {p["protocol"] for p in dns[0]["ports"]} == {"UDP", "TCP"}, f"{label}: DNS (53 UDP and TCP)")


def main():
    renders = {}
    for label, path in (("default", sys.argv[1]), ("all", sys.argv[2])):
        docs = [d for d in yaml.safe_load_all(open(path)) if d]
        renders[label] = docs
        for where, pod in pods(docs):
            restricted(f"{label} {where}", pod)
        result = check_job(label, docs)
        if result:
            check_network_policy(label, docs, result[0])
    # The secured platform's defaults: TLS with a CA from a Secret, SASL from a Secret.
    _, props = ini_properties(renders["default"])
    check("security.protocol=SASL_SSL" in props, "default: security.protocol=SASL_SSL")
    check(any(p.startswith("ssl.ca.location=" + TLS_ROOT) for p in props), "default: ssl.ca.location from a mounted Secret")
    # With every option on: the image by digest, the ksqlDB Job over https with its login.
    all_job = job_pod(renders["all"])
    if all_job:
        image = all_job["spec"]["template"]["spec"]["containers"][0]["image"]
        check(re.fullmatch(r"[^@:]+(:[0-9]+)?/[^@]+@sha256:[a-f0-9]{64}", image) is not None, f"all: image by digest: {image}")
    for d in renders["all"]:
        if d["kind"] == "Job":
            pod = d["spec"]["template"]["spec"]
            args = pod["containers"][0]["args"]
            check(args[-1].startswith("https://"), f"ksql Job: https, not {args[-1]}")
            check("--netrc-file" in args and "--cacert" in args, "ksql Job: login from a netrc file, CA from a Secret")
            check(not any("password" in a.lower() or "--user" == a for a in args), "ksql Job: no password on the command line")
            check(pod.get("enableServiceLinks") is False, "ksql Job: enableServiceLinks false")
    if failures:
        for f in failures:
            print("FAIL:", f, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
