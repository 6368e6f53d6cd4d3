"""Shared helpers of the data-in tests (run with Debian's /usr/bin/python3 -m pytest)."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
CONNECT = "http://127.0.0.1:%s" % os.environ.get("CONNECT_PORT", "8083")
BOOTSTRAP = "127.0.0.1:9092"
AZ_ENV = {"AZURE_CORE_COLLECT_TELEMETRY": "no", "AZURE_CORE_ONLY_SHOW_ERRORS": "yes", "AZURE_CORE_NO_COLOR": "yes"}


def datagen():
    path = os.environ.get("KSTREAM_DATAGEN")
    assert path and Path(path).is_file(), "KSTREAM_DATAGEN must name the built kstream-datagen (ctest sets it)"
    return path


def run(cmd, check=True, env=None, timeout=600, **kw):
    full_env = dict(os.environ)
    full_env.update(AZ_ENV)
    full_env.update(env or {})
    p = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}):\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def rest(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(CONNECT + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text.decode(errors="replace")


def connection_string():
    return run(["bash", str(SCRIPTS / "local-azurite.sh"), "connection-string"]).stdout.strip()


def topic_records(*args):
    return run(["/usr/bin/python3", str(REPO / "connect" / "topic_records.py"), "--bootstrap", BOOTSTRAP, *args])


def count(topic):
    return int(topic_records("count", "--topic", topic).stdout.split()[-1])


def end_offsets(topic):
    """Sum of the partitions' high watermarks: a cheap progress gauge (transaction markers included)."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": unique("watermarks-")})
    try:
        md = c.list_topics(topic, timeout=10).topics[topic]
        return sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in md.partitions)
    finally:
        c.close()


def dump(topic):
    """[(partition, key, value bytes)] in partition order, as a read_committed consumer sees them."""
    p = subprocess.run(["/usr/bin/python3", str(REPO / "connect" / "topic_records.py"), "--bootstrap", BOOTSTRAP,
                        "dump", "--topic", topic], capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    rows = []
    for line in p.stdout.split(b"\n"):
        if line:
            part, key, value = line.split(b"\t", 2)
            rows.append((int(part), key.decode(), value))
    rows.sort(key=lambda r: r[0])  # stable: each partition's records stay in offset order
    return rows


def create_topic(name, partitions=3):
    run(["/usr/bin/python3", str(SCRIPTS / "kafka-admin.py"), "--bootstrap", BOOTSTRAP, "create", f"{name}:{partitions}"])


def delete_topic(name):
    run(["/usr/bin/python3", str(SCRIPTS / "kafka-admin.py"), "--bootstrap", BOOTSTRAP, "delete", name], check=False)


def az(*args):
    return run(["az", "storage", *args, "--connection-string", connection_string()])


def upload(container, local, blob):
    az("blob", "upload", "--container-name", container, "--file", str(local), "--name", blob, "--overwrite", "true",
       "-o", "none", "--no-progress")


def deploy(name, container, topic, *extra, check=False, env=None):
    e = {"AZURE_STORAGE_CONNECTION_STRING": connection_string(), "AZURE_CONTAINER": container, "TOPIC": topic}
    e.update(env or {})
    return run(["bash", str(SCRIPTS / "deploy-connector.sh"), "--name", name, *extra,
                str(REPO / "connect" / "expedia-azure-blob-source.json")], check=check, env=e)


def delete_connector(name):
    rest("DELETE", f"/connectors/{name}")


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="session")
def services():
    """The local broker, Azurite and the Connect worker; a test that needs them FAILS without them."""
    for script in ("local-kafka.sh", "local-azurite.sh", "local-connect.sh"):
        p = run(["bash", str(SCRIPTS / script), "start"], check=False, timeout=900)
        assert p.returncode == 0, f"{script} start failed:\n{p.stderr[-3000:]}"
    return True


@pytest.fixture
def container(services):
    name = unique("t")
    az("container", "create", "--name", name, "-o", "none")
    yield name
    az("container", "delete", "--name", name, "-o", "none")


@pytest.fixture
def topic(services):
    name = unique("data_test_")
    create_topic(name)
    yield name
    delete_topic(name)

