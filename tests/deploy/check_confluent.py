#!/usr/bin/env python3
"""What confluent/*.yaml must say (called by confluent.sh).

usage: check_confluent.py CHART_DEFAULT_RENDER.yaml confluent/*.yaml
"""
import re
import sys

import yaml

failures = []
# Keys of the Azure Blob Storage Source connector read only in its GENERIC mode.
GENERIC_ONLY_KEYS = {"topic.regex.list"}


def check(cond, what):
    if not cond:
        failures.append(what)


def main():
    chart = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
    docs = []
    for path in sys.argv[2:]:
        docs += [d for d in yaml.safe_load_all(open(path)) if d]
    kinds = {}
    for d in docs:
        kinds.setdefault(d["kind"], []).append(d)
        if d["kind"] != "Namespace":
            check(d["metadata"].get("namespace") == "confluent", f"{d['kind']}/{d['metadata']['name']} in namespace confluent")
    for kind in ("KRaftController", "Kafka", "Connect", "Connector", "KafkaTopic", "KsqlDB", "ControlCenter"):
        check(kind in kinds, f"a {kind}")
    check("Zookeeper" not in kinds, "no ZooKeeper (KRaft mode)")

    kraft, kafka = kinds["KRaftController"][0], kinds["Kafka"][0]
    check(kafka["spec"]["dependencies"]["kRaftController"]["clusterRef"]["name"] == kraft["metadata"]["name"],
          "Kafka depends on the KRaftController")
    check(kraft["spec"]["replicas"] >= 3 and kafka["spec"]["replicas"] >= 3, "3 controllers, 3 brokers")
    versions = set()
    for kind in ("KRaftController", "Kafka", "Connect", "KsqlDB"):
        m = re.search(r":([0-9]+)\.([0-9]+)\.([0-9]+)$", kinds[kind][0]["spec"]["image"]["application"])
        check(m is not None, f"{kind}: pinned image version")
        if m:
            versions.add(m.group(0))
            check(int(m.group(1)) >= 8, f"{kind}: Confluent Platform 8 or later ({m.group(0)})")
    check(len(versions) == 1, f"one Confluent Platform version for all components: {versions}")
    inits = {kinds[k][0]["spec"]["image"]["init"] for k in ("KRaftController", "Kafka", "Connect", "KsqlDB", "ControlCenter")}
    check(len(inits) == 1, f"one CFK init container version: {inits}")

    connect = kinds["Connect"][0]["spec"]
    check(connect["build"]["type"] == "onDemand", "Connect plugins by CFK's on-demand build (no custom image)")
    plugins = connect["build"]["onDemand"]["plugins"]
    check(plugins["locationType"] == "confluentHub"
          and {"name": "kafka-connect-azure-blob-storage-source", "owner": "confluentinc"}.items()
          <= plugins["confluentHub"][0].items(), "Azure Blob Storage Source plugin from Confluent Hub")
    for p in plugins["confluentHub"]:
        check(re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", str(p.get("version", ""))) is not None,
              f"plugin {p.get('name')}: pinned release, not {p.get('version')!r} (reproducible rebuilds)")
    check(not connect["image"]["application"].split("/")[-1].startswith("cp-server-connect-custom")
          and connect["image"]["application"].startswith("confluentinc/cp-server-connect:"), "stock Connect image")
    mounted = [m["secretRef"] for m in connect.get("mountedSecrets", [])]
    check("azure-blob-credentials" in mounted, "Connect mounts the azure-blob-credentials Secret")

    conn = kinds["Connector"][0]["spec"]
    cfg = conn["configs"]
    check(conn["connectClusterRef"]["name"] == kinds["Connect"][0]["metadata"]["name"], "Connector runs on the Connect cluster")
    check(conn["class"] == "io.confluent.connect.azure.blob.storage.AzureBlobStorageSourceConnector", "Azure Blob Storage Source class")
    for key in ("azblob.account.key", "azblob.account.name"):
        check(re.fullmatch(r"\$\{file:/mnt/secrets/azure-blob-credentials/[^:}]+:[a-z.]+\}", cfg.get(key, "")) is not None,
              f"{key} comes from the mounted Secret, not the file")
    check(cfg.get("azblob.container.name") == "data", "reads container data")
    # The connector's mode decides which keys it reads: RESTORE_BACKUP (its default) takes topic
    # and partition from the object names and ignores the GENERIC-mode keys.
    check(cfg.get("mode") in ("RESTORE_BACKUP", "GENERIC"), f"connector mode stated explicitly: {cfg.get('mode')!r}")
    if cfg.get("mode") == "RESTORE_BACKUP":
        ignored = sorted(k for k in cfg if k in GENERIC_ONLY_KEYS)
        check(not ignored, f"RESTORE_BACKUP ignores {ignored}: drop them (or use GENERIC)")
        check(cfg.get("topics.dir") == "topics", "objects under topics/expedia/partition=N/ (restore layout)")
    else:
        check(cfg.get("topic.regex.list", "").startswith("expedia:"), "GENERIC: writes topic expedia")
    for d in docs:
        text = yaml.safe_dump(d)
        check(re.search(r"[A-Za-z0-9+/]{60,}={0,2}", text) is None, f"{d['kind']}/{d['metadata']['name']}: nothing that looks like a key")
        check(d["kind"] != "Secret", "no Secret in confluent/")

    topics = {t["spec"]["name"]: t["spec"] for t in kinds["KafkaTopic"]}
    check(sorted(topics) == ["expedia", "expedia_dlq", "expedia_ext", "expedia_stay_stats"], f"topics: {sorted(topics)}")
    for name, spec in topics.items():
        check(spec["partitionCount"] == 3 and spec["replicas"] == 3, f"{name}: 3 partitions, 3 replicas")
        check(spec["kafkaClusterRef"]["name"] == kafka["metadata"]["name"], f"{name}: on cluster kafka")
    check(topics["expedia_stay_stats"].get("configs", {}).get("cleanup.policy") == "compact", "stats changelog compacted")

    # The chart's defaults point at this platform.
    cm = [d for d in chart if d["kind"] == "ConfigMap"][0]["data"]["caf-application.ini"]
    bootstrap = re.search(r'^bootstrap-servers="([^"]+)"$', cm, re.M).group(1)
    check(bootstrap == f"{kafka['metadata']['name']}.confluent.svc.cluster.local:9071",
          f"chart bootstrap {bootstrap} is the Kafka service of confluent/")
    for key, topic in (("input-topic", "expedia"), ("output-topic", "expedia_ext"), ("dlq-topic", "expedia_dlq")):
        check(re.search(rf'^{key}="{topic}"$', cm, re.M) is not None and topic in topics, f"chart {key} is a KafkaTopic")
    ksql = kinds["KsqlDB"][0]["metadata"]["name"]
    values = yaml.safe_load(open("charts/kstream-app/values.yaml"))
    check(values["ksqlJob"]["url"] == f"http://{ksql}.confluent.svc.cluster.local:8088", "chart's ksqlDB URL is the KsqlDB of confluent/")
    check(values["inputPartitions"] == topics["expedia"]["partitionCount"], "chart's inputPartitions == partitions of expedia")

    if failures:
        for f in failures:
            print("FAIL:", f, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
