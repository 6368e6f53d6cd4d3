"""scripts/load-expedia.sh end to end through Azurite and the Connect worker into the real broker,
exactly-once across a kill -9 of the worker, and clear errors for a missing container, a wrong key
and a corrupt file. Needs the broker, Azurite and Connect (label data)."""
import base64
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import avro.datafile
import avro.io

from conftest import (AZ_ENV, SCRIPTS, connection_string, count, create_topic, datagen, delete_connector,
                      delete_topic, deploy, dump, end_offsets, rest, run, unique, upload, wait_for)
from test_datagen import category

LOAD = ["bash", str(SCRIPTS / "load-expedia.sh")]


def load(*args, check=True):
    return run([*LOAD, *args], check=check, env={"KSTREAM_DATAGEN": datagen()}, timeout=900)


def avro_rows(data_dir, n):
    path = Path(data_dir) / f"topics/expedia/partition={n}/expedia+{n}+0000000000.avro"
    with open(path, "rb") as f:
        return list(avro.datafile.DataFileReader(f, avro.io.DatumReader()))


def create_topic_ok(topic):
    try:
        create_topic(topic)
        return True
    except AssertionError:
        return False


def delete_connectors_of(topic):
    status, names = rest("GET", "/connectors")
    for name in names if status == 200 else []:
        if name.startswith(f"expedia-source-{topic}-"):
            delete_connector(name)


def test_load_expedia_end_to_end_and_twice(container, topic):
    try:
        p = load("--records", "20000", "--topic", topic, "--container", container)
        manifest_path = p.stdout.strip().splitlines()[-1]
        assert manifest_path.endswith("seed-42-records-20000/manifest.json")
        manifest = json.loads(Path(manifest_path).read_text())
        data_dir = Path(manifest_path).parent
        rows = dump(topic)
        assert len(rows) == 20000
        fields = None
        table = {c["stay_category"]: [0, set()] for c in manifest["categories"]}
        for n in range(3):
            got = [json.loads(v) for part, key, v in rows if part == n]
            assert all(key == "null" for part, key, _ in rows if part == n)
            expected = avro_rows(data_dir, n)
            assert len(got) == manifest["per_partition"][n]
            assert got == expected, f"partition {n}: the topic's records differ from the Avro file's"
            for record in got:
                fields = fields or list(record)
                assert list(record) == fields
                t = table[category(record["srch_ci"], record["srch_co"])]
                t[0] += 1
                t[1].add(record["hotel_id"])
        assert fields[0] == "id" and fields[-1] == "hotel_id" and len(fields) == 20
        assert [{"stay_category": c, "records": r, "distinct_hotels": len(h)} for c, (r, h) in table.items()] \
            == manifest["categories"]

        # safe to run twice: no second copy
        again = load("--records", "20000", "--topic", topic, "--container", container)
        assert again.stdout.strip().splitlines()[-1] == manifest_path
        assert "resuming from its offsets" in again.stderr
        assert count(topic) == 20000
        # another data set into the same topic is refused without --replace
        other = load("--records", "3000", "--topic", topic, "--container", container, check=False)
        assert other.returncode != 0 and "already holds 20000 records" in other.stderr
        assert count(topic) == 20000
        # a topic emptied since (deleted and created again) is loaded again, from the start
        delete_topic(topic)
        wait_for(lambda: create_topic_ok(topic), 60, f"{topic} created again")
        load("--records", "20000", "--topic", topic, "--container", container)
        assert count(topic) == 20000
    finally:
        delete_connectors_of(topic)


def test_kill_9_during_a_load_gives_each_record_once(container, topic):
    records = 100000
    env = dict(os.environ, KSTREAM_DATAGEN=datagen(), **AZ_ENV)
    loader = subprocess.Popen([*LOAD, "--records", str(records), "--seed", "7", "--topic", topic,
                               "--container", container, "--set", "throttle.records.per.second=6000",
                               "--set", "batch.size=1000"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_for(lambda: end_offsets(topic) >= 15000 or loader.poll() is not None, 600, "the load to start")
        assert loader.poll() is None, "load-expedia ended before the worker could be killed:\n" + loader.stderr.read()
        pid = int(run(["bash", str(SCRIPTS / "local-connect.sh"), "pid"]).stdout)
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not Path(f"/proc/{pid}").exists(), 30, "the worker to die")
        at_kill = count(topic)
        assert at_kill < records, "the load finished before the kill; the test proved nothing"
        time.sleep(2)
        run(["bash", str(SCRIPTS / "local-connect.sh"), "start"], timeout=300)
        out, err = loader.communicate(timeout=600)
        assert loader.returncode == 0, err
        rows = dump(topic)
        ids = [json.loads(v)["id"] for _, _, v in rows]
        assert len(ids) == records, f"{len(ids)} records after the restart ({at_kill} at the kill)"
        assert sorted(ids) == list(range(records)), "each record exactly once"
        for n in range(3):
            in_partition = [json.loads(v)["id"] for part, _, v in rows if part == n]
            assert all(i % 3 == n for i in in_partition)
            assert in_partition == sorted(in_partition), "file order kept across the restart"
        print(f"killed the worker at {at_kill}/{records} records; after the restart: {len(ids)}, no duplicates")
    finally:
        if loader.poll() is None:
            loader.kill()
        delete_connectors_of(topic)


def test_missing_container_and_wrong_key_are_named(services, topic):
    missing = unique("nosuch")
    name = unique("err-test-")
    p = deploy(name, missing, topic)
    assert p.returncode == 1
    assert f"there is no container '{missing}' of storage account 'devstoreaccount1'" in p.stderr, p.stderr
    assert rest("GET", f"/connectors/{name}")[0] == 404, "nothing was created"

    wrong_key = base64.b64encode(b"not the key of this account" * 2).decode()
    bad = ";".join(f"AccountKey={wrong_key}" if part.startswith("AccountKey=") else part
                   for part in connection_string().split(";"))
    p = deploy(name, "data", topic, env={"AZURE_STORAGE_CONNECTION_STRING": bad})
    assert p.returncode == 1
    assert "rejected the key in azblob.connection.string" in p.stderr and "devstoreaccount1" in p.stderr, p.stderr
    assert wrong_key not in p.stderr, "the key is never printed"
    assert rest("GET", f"/connectors/{name}")[0] == 404
    assert count(topic) == 0


def test_corrupt_file_fails_naming_it_and_writes_nothing(container, topic, tmp_path):
    data = tmp_path / "set"
    run([datagen(), "--records", "3000", "--seed", "3", "--out", str(data), "--quiet"])
    for n in range(3):
        rel = f"topics/expedia/partition={n}/expedia+{n}+0000000000.avro"
        local = data / rel
        if n == 1:  # damage a block in the middle of partition 1
            raw = bytearray(local.read_bytes())
            mid = len(raw) // 2
            raw[mid:mid + 300] = bytes((i * 37 + 11) % 256 for i in range(300))
            local.write_bytes(bytes(raw))
        upload(container, local, rel)
    name = unique("corrupt-test-")
    try:
        deploy(name, container, topic, "--fresh")  # may see RUNNING before the task reads the files

        def failed():
            status, body = rest("GET", f"/connectors/{name}/status")
            tasks = body.get("tasks", []) if status == 200 else []
            return next((t["trace"] for t in tasks if t.get("state") == "FAILED"), None)
        trace = wait_for(failed, 90, "the task to fail on the corrupt file")
        first = trace.splitlines()[0]
        assert "corrupt Avro file 'topics/expedia/partition=1/expedia+1+0000000000.avro'" in first, first
        assert f"container '{container}'" in first, first
        time.sleep(2)
        assert count(topic) == 0, "nothing of the round with the corrupt file is written"
    finally:
        delete_connector(name)
