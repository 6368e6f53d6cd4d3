"""The job's container image, built and run for real (ctest label `image`).

The Dockerfile is built with podman/buildah on base images made from Debian's packages
(scripts/image/build-image.sh), then run against the local broker the way Kubernetes runs it
(user 10001, read-only root file system, /tmp a tmpfs, every capability dropped): it must
process a data set exactly once (read_committed count and content of the output), answer
/readyz, and exit 0 on SIGTERM after committing. Missing podman or broker: the test fails.
"""
import json
import os
import shutil
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
import kafka_testlib as k  # noqa: E402  (tests/lib)

PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000"]
TAG = os.environ.get("KSTREAM_IMAGE_TAG", "localhost/kstream-app:test")
RECORDS = 3000
BAD = [b"not json", b"[1,2]", b"{\"id\": 1"]


def podman(*args, timeout=60, check=True):
    return subprocess.run(PODMAN + list(args), capture_output=True, text=True, timeout=timeout, check=check)


def test_image_runs_exactly_once_as_kubernetes_runs_it(tmp_path):
    assert shutil.which("podman") and shutil.which("runc") and shutil.which("mmdebstrap"), \
        "podman, runc and mmdebstrap are needed: run make setup (scripts/setup.d/45-local-k8s.sh)"
    build = subprocess.run(["bash", str(ROOT / "scripts" / "image" / "build-image.sh"), TAG],
                           capture_output=True, text=True, timeout=2400)
    (tmp_path / "build.log").write_text(build.stdout + build.stderr)
    assert build.returncode == 0, f"image build failed:\n{(build.stdout + build.stderr)[-4000:]}"
    print([line for line in build.stdout.splitlines() if line.startswith("build-image:")][-1])

    config = json.loads(podman("image", "inspect", TAG).stdout)[0]["Config"]
    assert config["User"] == "10001:10001", config["User"]
    assert config["Entrypoint"][:2] == ["/usr/bin/tini", "--"], config["Entrypoint"]

    k.ensure_broker()
    topics = k.create_topics("image")
    sent = k.produce_records(topics["in"], RECORDS, seed=11, extra=BAD)
    port = k.free_port()
    name = f"kstream-image-{uuid.uuid4().hex[:8]}"
    run = podman("run", "--detach", "--name", name, "--network", "host", "--read-only",
                 "--tmpfs", "/tmp:rw,size=64m,mode=1777", "--user", "10001:10001", "--cap-drop", "ALL",
                 "--security-opt", "no-new-privileges", *ULIMITS, TAG,
                 "--config-file=/etc/kstream-app/caf-application.ini",
                 f"--kafka.bootstrap-servers={k.BOOTSTRAP}", f"--kafka.group-id={topics['in']}-group",
                 f"--kafka.input-topic={topics['in']}", f"--kafka.output-topic={topics['out']}",
                 f"--kafka.dlq-topic={topics['dlq']}", f"--http.port={port}", "--http.bind-address=127.0.0.1",
                 "--log.progress-interval-ms=1000", timeout=120, check=False)
    assert run.returncode == 0, f"podman run failed: {run.stderr}"
    try:
        def ready():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                return r.status == 200
        k.wait_for(ready, 120, "/readyz 200 from the container")
        user = podman("exec", name, "cat", "/proc/1/status", check=False).stdout
        k.wait_for(lambda: k.total(k.metrics(port), "kstream_records_produced_total") >= RECORDS, 180,
                   f"{RECORDS} records produced by the container")
        stop = podman("stop", "--time", "60", name, timeout=120, check=False)
        assert stop.returncode == 0, stop.stderr
        state = json.loads(podman("inspect", name).stdout)[0]["State"]
        logs = podman("logs", name, check=False)
        (tmp_path / "container.log").write_text(logs.stdout + logs.stderr)
        print("\n".join((logs.stdout + logs.stderr).splitlines()[-8:]))
        assert state["ExitCode"] == 0, f"exit code {state['ExitCode']} after SIGTERM; log: {tmp_path}/container.log"
        assert not state.get("OOMKilled"), "OOM killed"
    finally:
        podman("rm", "--force", name, check=False)

    # Exactly once: every input record once in the output (read_committed), with the
    # expected enrichment, nothing twice; the bad ones in the DLQ, once each.
    out = k.read_topic(topics["out"])
    assert len(out) == RECORDS, f"{len(out)} committed output records, expected {RECORDS}"
    got = sorted((p, v.decode()) for p, _, _, v, _ in out)
    want = sorted((p, k.expected_output(v, ci, co)) for p, v, ci, co in sent)
    assert got == want, "output differs from the expected enrichment"
    dlq = k.read_topic(topics["dlq"])
    assert sorted(v for *_, v, _ in dlq) == sorted(BAD), f"DLQ: {[v for *_, v, _ in dlq]}"
    print(f"image: {RECORDS} records once each in {topics['out']} (read_committed), {len(BAD)} in the DLQ; "
          f"ran as {[l for l in user.splitlines() if l.startswith('Uid:')]}")
