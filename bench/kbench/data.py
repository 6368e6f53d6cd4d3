"""The input data set: a topic loaded once (scripts/load-expedia.sh, or bench/devdata.py) with
its manifest (per category records and distinct hotels, per partition counts), reused while
both are there; and what the runs need of it (offsets, a template, the records for --deep)."""
import json
import os
import shutil
import subprocess

from confluent_kafka import Consumer, TopicPartition

from kbench.common import BENCH, ROOT, log
from kbench.kafka_io import last_record_ends, read_topic


def manifest_path(topic):
    """Where the manifest of input topic `topic` is kept between runs."""
    return os.path.join(BENCH, "results", "tmp", f"data-{topic}", "manifest.json")


def cached_manifest(kafka, topic, records, reload=False, partitions=None):
    """(manifest, end offsets) of `topic` as loaded by an earlier run, when the topic and its
    manifest are still there and hold `records` records (in `partitions` partitions), else None."""
    mpath = manifest_path(topic)
    if reload or not os.path.isfile(mpath) or topic not in kafka.topics():
        return None
    with open(mpath) as f:
        manifest = json.load(f)
    ends = kafka.end_offsets(topic)
    # >=: a transactional loader (the EOS source connector) leaves commit markers in the offsets
    if manifest.get("records") == records and sum(ends) >= records and partitions in (None, len(ends)):
        return manifest, ends
    return None


def ensure_data(kafka, args):
    n = args.records
    topic = args.topic or f"bench_in_{n}"
    mpath = manifest_path(topic)
    d = os.path.dirname(mpath)
    cached = cached_manifest(kafka, topic, n, args.reload)
    if cached:
        log(f"reusing topic {topic} ({n} records) and {mpath}")
        return finish_data(kafka, topic, *cached, args)
    log(f"loading {n} records into topic {topic}")
    kafka.recreate(topic)
    loader = os.path.join(ROOT, "scripts/load-expedia.sh")
    use_loader = os.path.isfile(loader) and os.environ.get("BENCH_DATA", "load-expedia") != "devdata"
    devdata = ["/usr/bin/python3", os.path.join(BENCH, "devdata.py"), "--records", str(n), "--topic", topic,
               "--out", d, "--bootstrap", args.bootstrap]
    # A container per data set: a load still reading one set's files never sees another's (demo, tests).
    cmd = ["bash", loader, "--records", str(n), "--topic", topic, "--replace", "--bootstrap", args.bootstrap,
           "--container", f"bench-{n}"] if use_loader else devdata
    env = dict(os.environ)
    port = int(args.bootstrap.rsplit(":", 1)[1])
    if port != 9092 and "CONNECT_PORT" not in env:
        # a broker of one's own (KAFKA_PORT=29092) gets a Connect worker of its own (28083): the
        # shared worker on 8083 writes to the shared broker
        env["CONNECT_PORT"] = str(port - 1009)
    if port != 9092 and "AZURITE_PORT" not in env:
        env["AZURITE_PORT"] = str(port - 9092)  # and an Azurite of its own (20000 for 29092)
    log("$ " + " ".join(cmd) + (f"  (CONNECT_PORT={env['CONNECT_PORT']})" if "CONNECT_PORT" in env else ""))
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env)
    if proc.returncode != 0 and use_loader:
        # The benchmark needs a data set and its manifest more than it needs this loader:
        # say so loudly, fall back to the dev-aid producer; the report names the generator.
        log(f"WARNING: scripts/load-expedia.sh failed (status {proc.returncode}); "
            "falling back to bench/devdata.py")
        use_loader = False
        kafka.recreate(topic)
        log("$ " + " ".join(devdata))
        proc = subprocess.run(devdata, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"bench: loading the data failed (status {proc.returncode})")
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    src = lines[-1].strip()
    with open(src) as f:
        manifest = json.load(f)
    manifest.setdefault("generator", "scripts/load-expedia.sh" if use_loader else "bench/devdata.py (dev aid)")
    os.makedirs(d, exist_ok=True)
    if os.path.abspath(src) != os.path.abspath(mpath):
        shutil.copyfile(src, mpath)
        with open(mpath, "w") as f:
            json.dump(manifest, f, indent=1)
    ends = kafka.end_offsets(topic)
    if sum(ends) < n or manifest["records"] != n:
        raise SystemExit(f"bench: topic {topic} holds {sum(ends)} records, manifest {manifest['records']}, wanted {n}")
    return finish_data(kafka, topic, manifest, ends, args)


def finish_data(kafka, topic, manifest, ends, args):
    data = {"topic": topic, "records": manifest["records"], "manifest": manifest, "end_offsets": ends,
            "done_offsets": last_record_ends(kafka.bootstrap, topic, ends)}
    if data["done_offsets"] != ends:
        log(f"input {topic}: end offsets {ends}, last records end at {data['done_offsets']} (transaction markers)")
    template, inputs, dup = [], {}, [False]

    def keep(p, key, value):
        rec = json.loads(value)
        if len(template) < 30:
            template.append(rec)
        if args.deep:
            if rec.get("id") in inputs:
                dup[0] = True
            inputs[rec.get("id")] = (p, rec)

    if args.deep:
        read_topic(kafka.bootstrap, topic, keep)
        if dup[0]:
            log("input ids are not unique: no record-by-record check")
        else:
            data["inputs"] = inputs
    else:
        c = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": "bench-probe", "enable.auto.commit": False})
        c.assign([TopicPartition(topic, 0, 0)])
        for m in c.consume(30, 10):
            if not m.error():
                template.append(json.loads(m.value()))
        c.close()
    data["template"] = template
    return data

