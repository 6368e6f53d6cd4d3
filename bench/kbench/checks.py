"""A contender's output against the data set's manifest and the contract oracle (bench/contract.py).
Big sets take the fast path: a few fields found by regex in the raw value, no JSON parse."""
import json
import re

import contract  # bench/contract.py: the entry scripts' folder is on sys.path
from kbench.kafka_io import read_topic

CAT_RE = re.compile(rb'"stay_category"\s*:\s*"([^"]*)"')
HOTEL_RE = re.compile(rb'"hotel_id"\s*:\s*(-?\d+|null)')
CI_RE = re.compile(rb'"srch_ci"\s*:\s*(null|"[^"]*"|[^,}]*)')
CO_RE = re.compile(rb'"srch_co"\s*:\s*(null|"[^"]*"|[^,}]*)')
ID_RE = re.compile(rb'"id"\s*:\s*(\d+)')
_fast_cache = {}


def field(rx, value):
    """The JSON value of a field as a Python value (strings, null; others as raw text), or None."""
    m = rx.search(value)
    if not m or m.group(1) == b"null":
        return None
    raw = m.group(1)
    return raw[1:-1].decode() if raw.startswith(b'"') else raw.decode()


def fast_category(ci, co):
    key = (ci, co)
    cat = _fast_cache.get(key)
    if cat is None:
        cat = _fast_cache[key] = contract.category(contract.stay_days(ci, co))
    return cat


def oracle_category(value):
    """The stay category the contract gives a raw JSON record (its srch_ci and srch_co)."""
    return fast_category(field(CI_RE, value), field(CO_RE, value))


def hotel_id(value):
    """A raw JSON record's hotel_id as an int, or None."""
    m = HOTEL_RE.search(value)
    return int(m.group(1)) if m and m.group(1) != b"null" else None


def check_output(kafka, out, data, contender, deep):
    """The output against the manifest: total, per category (records, distinct hotels),
    per partition; deep: every record against its input and the contract oracle."""
    cats = {c: [0, set()] for c in contract.CATEGORIES}
    per_part = [0] * len(data["end_offsets"])
    problems = []
    inputs = data.get("inputs") if deep else None
    seen_ids = set()

    def problem(msg):
        if len(problems) < 5:
            problems.append(msg)

    def on_record(p, key, value):
        per_part[p] += 1
        if inputs is None:  # the fast path for big sets: three fields by regex, no JSON parse
            if contender.passthrough:
                cat = oracle_category(value)
            else:
                m = CAT_RE.search(value)
                cat = m.group(1).decode() if m else None
            if cat not in cats:
                problem(f"no known stay_category in {value[:100]!r}")
                return
            cats[cat][0] += 1
            cats[cat][1].add(hotel_id(value))
            return
        try:
            rec = json.loads(value)
        except ValueError:
            problem(f"not JSON: {value[:80]!r}")
            return
        if contender.passthrough:
            _, cat = contract.enrich(rec)
        else:
            cat = rec.get("stay_category")
        if cat not in cats:
            problem(f"unknown stay_category {cat!r}")
            return
        cats[cat][0] += 1
        cats[cat][1].add(rec.get("hotel_id"))
        if inputs is not None:
            rid = rec.get("id")
            src = inputs.get(rid)
            if src is None:
                problem(f"output id {rid} not in the input")
                return
            if rid in seen_ids:
                problem(f"id {rid} written twice")
            seen_ids.add(rid)
            in_part, in_rec = src
            days, want_cat = contract.enrich(in_rec)
            body = {k: v for k, v in rec.items()
                    if k not in ("stay_duration", "stay_category") + tuple(contender.extra_fields)}
            if contender.passthrough:
                body = rec
            elif rec.get("stay_duration", "missing") != days or cat != want_cat:
                problem(f"id {rid}: got {rec.get('stay_duration', 'missing')!r}/{cat!r}, "
                        f"want {days!r}/{want_cat!r} for {in_rec.get('srch_ci')!r}..{in_rec.get('srch_co')!r}")
            if body != in_rec:
                problem(f"id {rid}: fields changed")
            if contender.keeps_partition and p != in_part:
                problem(f"id {rid}: partition {p}, input partition {in_part}")

    read_topic(kafka.bootstrap, out, on_record)
    want = {c["stay_category"]: (c["records"], c["distinct_hotels"]) for c in data["manifest"]["categories"]}
    got = {c: (v[0], len(v[1])) for c, v in cats.items()}
    for c in contract.CATEGORIES:
        if got[c] != tuple(want.get(c, (0, 0))):
            problems.append(f"{c}: got {got[c][0]} records / {got[c][1]} hotels, manifest {want.get(c)}")
    if sum(per_part) != data["records"]:
        problems.append(f"{sum(per_part)} records written, {data['records']} in the input")
    if contender.keeps_partition and per_part != list(data["manifest"]["per_partition"]):
        problems.append(f"per partition {per_part} != manifest {data['manifest']['per_partition']}")
    return {"ok": not problems, "detail": "; ".join(problems[:6]), "per_partition": per_part,
            "categories": {c: {"records": v[0], "distinct_hotels": v[1]} for c, v in got.items()},
            "deep": inputs is not None}



def offsets_check(kafka, out, data, contender):
    """The light check of a repeated run (--check-first-only, rounds after the first, whose output
    was checked in full): the output's per-partition end offsets against the manifest. Exact for
    outputs written without transactions; with transactions (markers) at least the manifest's."""
    ends = kafka.end_offsets(out)
    want = list(data["manifest"]["per_partition"])
    if not contender.keeps_partition:
        ok = sum(ends) >= data["records"]
    elif contender.guarantee == "exactly_once":
        ok = len(ends) == len(want) and all(e >= w for e, w in zip(ends, want))
    else:
        ok = ends == want
    return {"ok": ok, "detail": "" if ok else f"output end offsets {ends}, manifest {want}",
            "per_partition": ends, "light": True}


def check_table(table, manifest):
    """A final table {category: (records, distinct hotels)} against the manifest: every category
    of the contract, both columns exact, nothing else."""
    want = {c["stay_category"]: (c["records"], c["distinct_hotels"]) for c in manifest["categories"]}
    problems = [f"{c}: got {table.get(c)}, manifest {want.get(c, (0, 0))}"
                for c in contract.CATEGORIES if tuple(table.get(c, (0, 0))) != tuple(want.get(c, (0, 0)))]
    problems += [f"unknown category {c!r}" for c in table if c not in contract.CATEGORIES]
    return {"ok": not problems, "detail": "; ".join(problems[:6]),
            "categories": {c: {"records": r, "distinct_hotels": h} for c, (r, h) in table.items()}}
