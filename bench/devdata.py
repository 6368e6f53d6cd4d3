#!/usr/bin/python3
"""DEV AID ONLY: a tiny Expedia-like data producer for developing the bench harness before
scripts/load-expedia.sh existed. bench.py uses load-expedia.sh when it is there; this is the
fallback (BENCH_DATA=devdata forces it). Writes N records round-robin to the 3 partitions
of TOPIC and a manifest.json like load-expedia.sh's; prints the manifest path last.

  devdata.py --records N --topic T --out DIR [--seed S] [--bootstrap B]
"""
import argparse
import json
import os
import random
import sys
import datetime

from confluent_kafka import Producer

import contract  # noqa: E402  (bench/contract.py, beside this script)


def records(n, seed):
    rnd = random.Random(seed)
    hotels = [rnd.randrange(10**8, 10**13) for _ in range(2500)]
    base = datetime.date(2016, 1, 1)
    bad = ["2017-02-30", "2017-13-01", "2017-8-2", "", None, "n/a"]
    for i in range(n):
        ci = base + datetime.timedelta(days=rnd.randrange(0, 900))
        r = rnd.random()
        if r < 0.891:
            d = rnd.randint(1, 4)
        elif r < 0.990:
            d = rnd.randint(5, 10)
        elif r < 0.9954:
            d = rnd.randint(11, 14)
        elif r < 0.9977:
            d = rnd.randint(15, 60)
        else:
            d = None
        ci_s = ci.isoformat()
        if d is None:
            k = rnd.randrange(4)
            if k == 0:
                ci_s, co_s = rnd.choice(bad), (ci + datetime.timedelta(days=2)).isoformat()
            elif k == 1:
                co_s = rnd.choice(bad)
            else:
                co_s = (ci - datetime.timedelta(days=rnd.randint(0, 3))).isoformat()
        else:
            co_s = (ci + datetime.timedelta(days=d)).isoformat()
            if rnd.random() < 0.01:
                co_s += " 00:00:00"
        yield {
            "id": i, "date_time": "2017-%02d-%02d %02d:%02d:%02d" % (
                rnd.randint(1, 12), rnd.randint(1, 28), rnd.randrange(24), rnd.randrange(60), rnd.randrange(60)),
            "site_name": rnd.randint(1, 50), "posa_container": rnd.choice([None, 1, 2, 3]),
            "user_location_country": rnd.randint(1, 230), "user_location_region": rnd.randint(1, 1000),
            "user_location_city": rnd.randint(1, 60000),
            "orig_destination_distance": rnd.choice([None, round(rnd.uniform(0.01, 9000), 4)]),
            "user_id": rnd.randint(1, 1200000), "is_mobile": rnd.randint(0, 1), "is_package": rnd.randint(0, 1),
            "channel": rnd.randint(0, 10), "srch_ci": ci_s, "srch_co": co_s,
            "srch_adults_cnt": rnd.randint(1, 4), "srch_children_cnt": rnd.randint(0, 3),
            "srch_rm_cnt": rnd.randint(1, 3), "srch_destination_id": rnd.randint(1, 60000),
            "srch_destination_type_id": rnd.randint(1, 9), "hotel_id": rnd.choice(hotels),
        }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--bootstrap", default="127.0.0.1:9092")
    a = p.parse_args()
    prod = Producer({"bootstrap.servers": a.bootstrap, "linger.ms": 50, "compression.type": "none",
                     "queue.buffering.max.messages": 500000, "enable.idempotence": True})
    per_part = [0, 0, 0]
    cats = {c: [0, set()] for c in contract.CATEGORIES}
    for i, rec in enumerate(records(a.records, a.seed)):
        _, cat = contract.enrich(rec)
        cats[cat][0] += 1
        cats[cat][1].add(rec["hotel_id"])
        part = i % 3
        per_part[part] += 1
        while True:
            try:
                prod.produce(a.topic, json.dumps(rec, separators=(",", ":")).encode(), partition=part)
                break
            except BufferError:
                prod.poll(0.1)
        if i % 10000 == 0:
            prod.poll(0)
    if prod.flush(60) != 0:
        sys.exit("devdata: not every record was delivered")
    os.makedirs(a.out, exist_ok=True)
    manifest = {"seed": a.seed, "records": a.records, "partitions": 3, "per_partition": per_part,
                "generator": "bench/devdata.py (dev aid)",
                "categories": [{"stay_category": c, "records": v[0], "distinct_hotels": len(v[1])}
                               for c, v in cats.items()]}
    path = os.path.join(a.out, "manifest.json")
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1)
    print(path)


if __name__ == "__main__":
    main()
