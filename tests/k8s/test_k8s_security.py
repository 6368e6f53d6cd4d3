"""Pod Security and the secured platform's Secrets on the local Kubernetes (ctest k8s.security).

- The chart with its defaults (the secured platform: SASL_SSL, the CA and the job's login from
  Secrets made by scripts/deploy/cfk-secrets.py, NetworkPolicy, no service links) is installed
  into a namespace labelled pod-security.kubernetes.io/enforce=restricted: the ReplicaSet's pod
  must be admitted, with the Secrets mounted as files and read as variables. The same chart with
  hostNetwork=true must be refused there by the PodSecurity admission (the ReplicaSet reports
  FailedCreate naming hostNetwork), and no pod may exist.
- The other pods the deployment runs (the ACL Job of confluent/acls.yaml, make deploy-ksql's
  curl pod) pass the restricted profile too (server-side dry run in that namespace).
- Every Secret that cfk-secrets.py renders is accepted by the API server (server-side dry run).
No broker is needed: admission is the point, the pod does not have to become Ready (the local
broker listens on the node's 127.0.0.1, which only a hostNetwork pod reaches; k8s.chart covers
that). Missing tools or cluster: the test fails.
"""
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("KSTREAM_TOOLS_BIN", Path.home() / ".cache/kstream-app/deploy-tools/bin"))
KUBECTL = str(TOOLS / "k8s" / "kubectl")
HELM = str(TOOLS / "helm")
LOCAL_K8S = ["bash", str(ROOT / "scripts" / "local-k8s.sh")]
CHART = str(ROOT / "charts" / "kstream-app")
SECRETS = ["python3", str(ROOT / "scripts" / "deploy" / "cfk-secrets.py")]
REFUSAL = 'violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true)'


def sh(*cmd, timeout=120, check=True, env=None, stdin=None):
    result = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, env=env, input=stdin)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def wait_for(what, seconds, probe):
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(2)


def pod_from_template(template, name, ns):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": template["spec"]}


def test_restricted_namespace(tmp_path):
    for tool in (KUBECTL, HELM):
        assert os.access(tool, os.X_OK), f"{tool} missing: run make setup (scripts/setup.d/40-, 45-*.sh)"
    start = sh(*LOCAL_K8S, "start", timeout=600, check=False)
    assert start.returncode == 0, f"the local cluster did not start:\n{start.stdout[-3000:]}\n{start.stderr[-3000:]}"
    os.environ["KUBECONFIG"] = sh(*LOCAL_K8S, "kubeconfig").stdout.strip()
    env = dict(os.environ, HELM_CACHE_HOME=str(tmp_path / "helm-cache"), HELM_CONFIG_HOME=str(tmp_path / "helm-config"),
               HELM_DATA_HOME=str(tmp_path / "helm-data"))
    ns = f"kstream-restricted-{uuid.uuid4().hex[:6]}"
    kubectl = [KUBECTL, "--namespace", ns, "--request-timeout=30s"]
    sh(KUBECTL, "create", "namespace", ns)
    try:
        sh(KUBECTL, "label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted",
           "pod-security.kubernetes.io/enforce-version=latest")

        # The Secrets, as make deploy-cfk-secrets makes them, into this namespace; every one of
        # them is also accepted by the API server (dry run into confluent's namespace name).
        creds = tmp_path / "cfk"
        sh(*SECRETS, "init", str(creds))
        rendered = sh(*SECRETS, "render", str(creds), env=dict(os.environ, NAMESPACE=ns)).stdout
        applied = sh(*kubectl, "apply", "--dry-run=server", "-f", "-", stdin=rendered)
        count = applied.stdout.count("(server dry run)")
        assert count == len(json.loads(rendered)["items"]) and count >= 20, applied.stdout
        print(f"k8s.security: the {count} Secrets of cfk-secrets.py accepted by the API server")
        needed = {"kafka-ca", "kstream-app-kafka"}
        items = [s for s in json.loads(rendered)["items"] if s["metadata"]["name"] in needed]
        sh(*kubectl, "apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))

        # The chart's defaults in the restricted namespace: admitted.
        install = sh(HELM, "install", "kstream-app", CHART, "--namespace", ns, "--timeout", "2m",
                     "--set", "image.pullPolicy=Never", timeout=180, check=False, env=env)
        assert install.returncode == 0, f"helm install refused:\n{install.stdout}\n{install.stderr}"
        pod = wait_for("the ReplicaSet creates an admitted pod", 90, lambda: sh(
            *kubectl, "get", "pods", "-l", "app.kubernetes.io/instance=kstream-app",
            "-o", "jsonpath={.items[0].metadata.name}", check=False).stdout.strip())
        spec = json.loads(sh(*kubectl, "get", "pod", pod, "-o", "json").stdout)["spec"]
        assert spec["enableServiceLinks"] is False, "service links on: KSTREAM_RDKAFKA_* could come from Service names"
        assert not spec.get("hostNetwork"), spec.get("hostNetwork")
        secret_volumes = {v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
        assert "kafka-ca" in secret_volumes, f"the CA is not mounted from its Secret: {secret_volumes}"
        env_from = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for c in spec["containers"]
                    for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
        assert env_from.get("KSTREAM_RDKAFKA_SASL_PASSWORD") == "kstream-app-kafka", env_from
        print(f"k8s.security: pod {pod} admitted under enforce=restricted (CA from Secret kafka-ca, "
              f"SASL login from Secret kstream-app-kafka, no service links)")
        sh(HELM, "uninstall", "kstream-app", "--namespace", ns, "--wait", "--timeout", "2m", timeout=180, env=env)

        # hostNetwork=true in the same namespace: the PodSecurity admission refuses the pod.
        bad = sh(HELM, "install", "kstream-hostnet", CHART, "--namespace", ns, "--timeout", "2m",
                 "--set", "image.pullPolicy=Never", "--set", "hostNetwork=true", timeout=180, check=False, env=env)
        assert bad.returncode == 0, f"helm install (the Deployment itself is admitted):\n{bad.stdout}\n{bad.stderr}"
        refusal = wait_for("FailedCreate from the PodSecurity admission", 90, lambda: [
            m for m in sh(*kubectl, "get", "events", "--field-selector", "reason=FailedCreate",
                          "-o", "jsonpath={range .items[*]}{.message}{'\\n'}{end}", check=False).stdout.splitlines()
            if REFUSAL in m])
        pods = sh(*kubectl, "get", "pods", "-l", "app.kubernetes.io/instance=kstream-hostnet", "-o", "name").stdout.split()
        assert pods == [], f"a hostNetwork pod exists in the restricted namespace: {pods}"
        print(f"k8s.security: hostNetwork=true refused: {refusal[0][:200]}")
        sh(HELM, "uninstall", "kstream-hostnet", "--namespace", ns, "--wait", "--timeout", "2m", timeout=180, env=env)

        # The deployment's other pods pass the restricted profile too.
        for doc in yaml.safe_load_all((ROOT / "confluent" / "acls.yaml").read_text()):
            if doc and doc["kind"] == "Job":
                pod_doc = pod_from_template(doc["spec"]["template"], "kafka-acls-check", ns)
        overrides = json.loads(sh("python3", str(ROOT / "scripts" / "deploy" / "ksql-submit-overrides.py"), "ksql-submit-check",
                                  "https://ksqldb.confluent.svc.cluster.local:8088/ksql").stdout)
        for name, pod_doc in (("confluent/acls.yaml Job", pod_doc),
                              ("make deploy-ksql's pod", pod_from_template(overrides, "ksql-submit-check", ns))):
            result = sh(*kubectl, "apply", "--dry-run=server", "-f", "-", stdin=json.dumps(pod_doc), check=False)
            assert result.returncode == 0, f"{name} refused under enforce=restricted:\n{result.stderr}"
            print(f"k8s.security: {name}: admitted under enforce=restricted")
        hostile = json.loads(json.dumps(pod_doc))
        hostile["spec"]["hostNetwork"] = True
        result = sh(*kubectl, "apply", "--dry-run=server", "-f", "-", stdin=json.dumps(hostile), check=False)
        assert result.returncode != 0 and REFUSAL in result.stderr, f"dry run admitted a hostNetwork pod:\n{result.stderr}"
    finally:
        sh(KUBECTL, "delete", "namespace", ns, "--wait=false", check=False)
