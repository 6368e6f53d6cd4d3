"""The chart on a real Kubernetes (ctest label `k8s`): scripts/local-k8s.sh's single-node
cluster (etcd, containerd, control plane and kubelet built from k8s.io/kubernetes).

`helm install` of charts/kstream-app with the image built from the Dockerfile (imported into
the cluster's containerd): the pod must become Ready through its probes, process a data set
from the local broker exactly once (read_committed), pass `helm test`, and stop gracefully on
`helm uninstall` (the job's "done" line, everything committed). Then CFK's CRDs (from the
vendored schemas) are applied and every confluent/*.yaml must pass `kubectl apply
--dry-run=server`, while a field CFK does not know must be refused by the API server.
Missing tools, cluster or broker: the test fails.
"""
import os
import re
import subprocess
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
import kafka_testlib as k  # noqa: E402  (tests/lib)

TOOLS = Path(os.environ.get("KSTREAM_TOOLS_BIN", Path.home() / ".cache/kstream-app/deploy-tools/bin"))
KUBECTL = str(TOOLS / "k8s" / "kubectl")
HELM = str(TOOLS / "helm")
LOCAL_K8S = ["bash", str(ROOT / "scripts" / "local-k8s.sh")]
TAG = os.environ.get("KSTREAM_IMAGE_TAG", "localhost/kstream-app:test")
RECORDS = 2000


def sh(*cmd, timeout=300, check=True, env=None):
    result = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def test_chart_on_local_kubernetes(tmp_path):
    for tool in (KUBECTL, HELM):
        assert os.access(tool, os.X_OK), f"{tool} missing: run make setup (scripts/setup.d/40-, 45-*.sh)"
    start = sh(*LOCAL_K8S, "start", timeout=600, check=False)
    print(start.stdout[-1500:])
    assert start.returncode == 0, f"the local cluster did not start:\n{start.stdout[-3000:]}\n{start.stderr[-3000:]}"
    os.environ["KUBECONFIG"] = sh(*LOCAL_K8S, "kubeconfig").stdout.strip()
    env = dict(os.environ, HELM_CACHE_HOME=str(tmp_path / "helm-cache"), HELM_CONFIG_HOME=str(tmp_path / "helm-config"),
               HELM_DATA_HOME=str(tmp_path / "helm-data"))

    build = sh("bash", str(ROOT / "scripts" / "image" / "build-image.sh"), TAG, timeout=2400, check=False)
    assert build.returncode == 0, f"image build failed:\n{(build.stdout + build.stderr)[-3000:]}"
    sh(*LOCAL_K8S, "import-image", TAG, timeout=300)

    k.ensure_broker()
    topics = k.create_topics("k8s")
    sent = k.produce_records(topics["in"], RECORDS, seed=5, extra=[b"not json"])
    ns = f"kstream-{uuid.uuid4().hex[:6]}"
    port = k.free_port()
    repo, tag = TAG.rsplit(":", 1)
    install = sh(HELM, "install", "kstream-app", str(ROOT / "charts" / "kstream-app"), "--namespace", ns,
                 "--create-namespace", "--wait", "--timeout", "5m",
                 "--set", f"image.repository={repo}", "--set", f"image.tag={tag}", "--set", "image.pullPolicy=Never",
                 # The broker listens on the node's 127.0.0.1: the pod shares the node's network.
                 "--set", "hostNetwork=true", "--set", f"config.http.port={port}",
                 "--set", f"config.kafka.bootstrap-servers={k.BOOTSTRAP}",
                 "--set", f"config.kafka.group-id={topics['in']}-group",
                 "--set", f"config.kafka.input-topic={topics['in']}", "--set", f"config.kafka.output-topic={topics['out']}",
                 "--set", f"config.kafka.dlq-topic={topics['dlq']}", "--set", "config.log.progress-interval-ms=2000",
                 # The local broker is plaintext without authentication (k8s.security covers the
                 # secured defaults: TLS from Secrets, SASL login, under Pod Security "restricted").
                 "--set-json", "config.kafka.properties=[]", "--set", "kafkaCredentials.existingSecret=",
                 "--set-json", "kafkaTls.secrets=[]",
                 timeout=400, check=False, env=env)
    kubectl = [KUBECTL, "--namespace", ns, "--request-timeout=30s"]
    if install.returncode != 0:
        diag = sh(*kubectl, "describe", "pods", check=False).stdout
        raise AssertionError(f"helm install failed:\n{install.stdout}\n{install.stderr}\n{diag[-4000:]}")
    pod = sh(*kubectl, "get", "pods", "-l", "app.kubernetes.io/name=kstream-app", "-o", "jsonpath={.items[0].metadata.name}").stdout
    ready = sh(*kubectl, "get", "pod", pod, "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}").stdout
    assert ready == "True", f"pod {pod} not Ready"
    print(f"k8s: pod {pod} Ready (startup/readiness probes on /healthz, /readyz)")

    k.wait_for(lambda: sum(1 for _ in k.read_topic(topics["out"], timeout=30)) >= RECORDS, 240,
               f"{RECORDS} committed records from the pod")
    test = sh(HELM, "test", "kstream-app", "--namespace", ns, "--logs", "--timeout", "3m", timeout=240, check=False, env=env)
    print(test.stdout[-1500:])
    assert test.returncode == 0, f"helm test failed:\n{test.stdout}\n{test.stderr}"

    # helm uninstall: SIGTERM to the job, which commits and says "done"; the log is followed
    # until the container ends.
    follow = subprocess.Popen([*kubectl, "logs", "--follow", pod, "--request-timeout=0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    uninstall = sh(HELM, "uninstall", "kstream-app", "--namespace", ns, "--wait", "--timeout", "3m",
                   timeout=240, check=False, env=env)
    try:
        log, _ = follow.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        follow.kill()
        log, _ = follow.communicate()
    (tmp_path / "pod.log").write_text(log)
    print("pod log (last lines):\n" + "\n".join(log.splitlines()[-6:]))
    assert uninstall.returncode == 0, f"helm uninstall failed: {uninstall.stderr}"
    done = re.search(r"done: in (\d+) \| out (\d+) \| dead-lettered (\d+)", log)
    assert done, f"no 'done' line: the job did not stop gracefully; log in {tmp_path}/pod.log"
    assert (int(done.group(1)), int(done.group(2)), int(done.group(3))) == (RECORDS + 1, RECORDS, 1), done.group(0)
    sh(KUBECTL, "delete", "namespace", ns, "--wait=false", check=False)

    out = k.read_topic(topics["out"])
    assert len(out) == RECORDS, f"{len(out)} committed output records, expected {RECORDS}"
    want = sorted((p, k.expected_output(v, ci, co)) for p, v, ci, co in sent)
    assert sorted((p, v.decode()) for p, _, _, v, _ in out) == want, "output differs from the expected enrichment"
    print(f"k8s: {RECORDS} records once each (read_committed), graceful stop: {done.group(0)}")

    # CFK: the CRDs from the vendored schemas, and every manifest of confluent/ accepted by the
    # API server (dry run: no operator image is reachable, nothing would reconcile them).
    crds = sh(*LOCAL_K8S, "crds", timeout=180)
    print(crds.stdout.strip())
    sh(KUBECTL, "apply", "-f", str(ROOT / "confluent" / "namespace.yaml"))
    for manifest in sorted((ROOT / "confluent").glob("*.yaml")):
        result = sh(KUBECTL, "apply", "--dry-run=server", "--validate=strict", "-f", str(manifest), check=False)
        assert result.returncode == 0, f"{manifest.name} refused by the API server:\n{result.stderr}"
        print(f"k8s: {manifest.name}: {' '.join(result.stdout.split())}")
    bad = tmp_path / "bad.yaml"
    text = (ROOT / "confluent" / "platform.yaml").read_text()
    bad.write_text(text.replace("  dataVolumeCapacity: 50Gi", "  dataVolumeCapacity: 50Gi\n  externalAccess:\n    type: loadBalancer", 1))
    result = sh(KUBECTL, "apply", "--dry-run=server", "--validate=strict", "-f", str(bad), check=False)
    assert result.returncode != 0 and "externalAccess" in result.stderr, \
        f"the API server accepted Kafka spec.externalAccess:\n{result.stdout}\n{result.stderr}"
    print("k8s: the API server refuses Kafka spec.externalAccess: " + result.stderr.strip().splitlines()[-1][:200])
