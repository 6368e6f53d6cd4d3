"""Hostile inputs through the job (seeded, 30,000+ values): truncated, flipped and random bytes,
invalid UTF-8, deep nesting, duplicate keys, NaN, tombstones, 900 KB values, and 10 valid
objects of 999,970 bytes that are too large for the output once enriched. Nothing stops the
pipeline: in = ext + dlq, every ext value is strict JSON, the input plus the two members,
every dlq value an input byte for byte with its reason; each kind where it belongs."""
import json
import random
import sys
import time

import faultlib as fl

kt = fl.kt
SEED = 20261203
DEPTH_LIMIT = 1000  # domain/json_members.hpp: json_max_depth
OUTPUT_MAX_BYTES = 1000000  # the output topic's max.message.bytes in this test
# The kstream.error.code each kind that goes to the DLQ must carry (README, "Dead-letter codes");
# the random and bit-flipped values may fail the parser any way.
PARSER_CODES = {"not_json", "not_an_object", "too_deep"}
DLQ_CODES = {"invalid_utf8": {"not_json"}, "too_deep": {"too_deep"}, "nan": {"not_json"},
             "tombstone": {"tombstone"}, "not_object": {"not_an_object"}, "900kb_garbage": {"not_json"},
             "too_large_enriched": {"too_large"}}


# Python's json follows the recursion limit: room for the deepest valid values (1000 levels).
sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))


class NotStrict(ValueError):
    pass


def _reject_constant(name):
    raise NotStrict(f"{name} is not JSON")


def strict_json(raw):
    """The value as Python data when `raw` is strict JSON (RFC 8259, UTF-8, no NaN, no lone
    surrogates), else None."""
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, parse_constant=_reject_constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # lone surrogates fail here
        return value
    except (UnicodeError, ValueError, RecursionError):
        return None


def depth_of(n):
    return '{"a":' * (n - 1) + "{}" + "}" * (n - 1)


def hostile_values():
    """[(kind, value bytes or None, where it must go: 'ext', 'dlq' or None for either)]."""
    rng = random.Random(SEED)
    valid = [kt.make_record(i, rng)[0].encode() for i in range(18000)]
    values = [("valid", v, "ext") for v in valid[:16000]]
    pool = valid[16000:]
    for _ in range(3000):
        v = rng.choice(pool)
        values.append(("truncated", v[:rng.randrange(0, len(v) - 1)], "dlq"))
    for _ in range(3000):  # may stay valid: checked by the strict oracle
        v = bytearray(rng.choice(pool))
        for _ in range(rng.randint(1, 3)):
            v[rng.randrange(len(v))] ^= 1 << rng.randrange(8)
        values.append(("flipped", bytes(v), None))
    for _ in range(2000):
        values.append(("random", bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 300))), None))
    bad_utf8 = [b"\xff", b"\xc3\x28", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xe2\x82"]
    with_dates = [v for v in pool if b'"srch_ci":"' in v]
    for i in range(1500):
        v = rng.choice(with_dates)
        at = v.index(b'"srch_ci":"') + 11
        values.append(("invalid_utf8", v[:at] + bad_utf8[i % len(bad_utf8)] + v[at:], "dlq"))
    for i in range(600):
        depth = 33 + rng.randrange(0, DEPTH_LIMIT - 33)  # deeper than Boost.JSON's default, valid
        values.append(("deep_valid", ('{"srch_ci":"2017-08-22","srch_co":"2017-08-25","deep":' + depth_of(depth - 1)
                                      + "}").encode(), "ext"))
    for i in range(400):
        depth = DEPTH_LIMIT + 1 + rng.randrange(0, 20000)
        values.append(("too_deep", ("[" * depth + "]" * depth).encode(), "dlq"))
    for i in range(1000):
        v = rng.choice(pool)
        values.append(("duplicate_keys", v[:-1] + b',"srch_ci":"2017-01-01","hotel_id":7,"hotel_id":null}', "ext"))
    for i, constant in zip(range(1000), ["NaN", "Infinity", "-Infinity", "nan"] * 250):
        v = rng.choice(pool)
        values.append(("nan", v[:-1] + f',"x":{constant}}}'.encode(), "dlq"))
    for _ in range(1000):
        values.append(("tombstone", None, "dlq"))
    for root in [b"[]", b"[1,2]", b'"text"', b"42", b"null", b"true", b"-0.5e3"] * 72:
        values.append(("not_object", root, "dlq"))
    for i in range(5):  # 900 KB: a valid object (fits once enriched) and garbage
        filler = "x" * (900 * 1024 - 60)
        values.append(("900kb_valid", f'{{"id":{i},"srch_ci":"2017-08-22","srch_co":"2017-08-30","f":"{filler}"}}'
                       .encode(), "ext"))
        values.append(("900kb_garbage", bytes(rng.getrandbits(8) for _ in range(900 * 1024)), "dlq"))
    for i in range(10):  # valid, 999,970 bytes: over the output's limit once enriched
        head = f'{{"id":{i},"srch_ci":"2017-08-22","srch_co":"2017-08-30","f":"'
        v = (head + "y" * (999970 - len(head) - 2) + '"}').encode()
        assert len(v) == 999970
        values.append(("too_large_enriched", v, "dlq"))
    rng.shuffle(values)
    return values


def produce(topic, values, partitions):
    producer = kt.Producer({"bootstrap.servers": fl.BOOTSTRAP, "enable.idempotence": True, "linger.ms": 20,
                            "message.max.bytes": 1048576})
    sent = []
    for n, (kind, value, _where) in enumerate(values):
        partition = n % partitions
        while True:
            try:
                producer.produce(topic, value=value, key=f"h{n}".encode(), partition=partition)
                break
            except BufferError:
                producer.poll(0.1)
        if n % 5000 == 0:
            producer.poll(0)
    assert producer.flush(120) == 0, "the hostile values were not all delivered"
    return sent


def header(headers, name):
    for key, value in headers:
        if key == name:
            return value
    return None


def test_hostile_inputs_end_in_ext_or_dlq_exactly_once(logs):
    started = time.monotonic()
    topics = fl.create_topics("hostile", partitions=3,
                              configs={"out": {"max.message.bytes": str(OUTPUT_MAX_BYTES)}})
    values = hostile_values()
    assert len(values) >= 30000
    produce(topics["in"], values, 3)
    # The input as the broker has it (partition, offset) -> (kind, value, where).
    inputs = {}
    for (partition, offset, key, value, _h) in kt.read_topic(topics["in"], timeout=180):
        n = int(key[1:])
        inputs[(partition, offset)] = (values[n][0], value, values[n][2], key)
    assert len(inputs) == len(values)

    job = fl.Job(topics, f"g-{topics['in']}", logs, "job", drain=True)
    code = fl.run_bounded(job, 180)
    # What the job committed, checked whichever way it ended (the figures are printed first).
    out = kt.read_topic(topics["out"], timeout=180)
    dlq = kt.read_topic(topics["dlq"], timeout=180)
    # Which input each output record is: ext by (partition, key), dlq by its source headers.
    by_key = {(p, key): po for po, (_k, _v, _w, key) in inputs.items() for p in [po[0]]}
    landed = {}
    problems = []
    duplicates = 0
    dlq_without_value = 0

    def land(source, topic):
        """Counts `source` as read from `topic` (a second time: a duplicate); its kind and raw value."""
        nonlocal duplicates
        if source in landed:
            duplicates += 1
        landed[source] = topic
        kind, raw, _where, _key = inputs[source]
        return kind, raw

    for partition, _offset, key, value, _headers in out:
        source = by_key.get((partition, key))
        if source is None:
            problems.append(f"ext record with unknown key {key!r} in partition {partition}")
            continue
        kind, raw = land(source, "ext")
        got = strict_json(value)
        want = strict_json(raw)
        if not isinstance(got, dict) or not isinstance(want, dict):
            problems.append(f"{kind} {source}: ext value is not a strict JSON object: {value[:100]!r}")
            continue
        days = kt.stay_days(want.get("srch_ci"), want.get("srch_co"))
        want = dict(want, stay_duration=days, stay_category=kt.category(days))
        if got != want or not value.startswith(raw.rstrip()[:-1]):
            problems.append(f"{kind} {source}: ext value is not the input plus the two members: {value[:100]!r}")
    for partition, _offset, key, value, headers in dlq:
        try:
            source = (int(header(headers, "kstream.source.partition")), int(header(headers, "kstream.source.offset")))
        except (TypeError, ValueError):
            problems.append(f"dlq record without source headers: {headers}")
            continue
        if source not in inputs:
            problems.append(f"dlq record from unknown source {source}")
            continue
        kind, raw = land(source, "dlq")
        reason = header(headers, "kstream.error.reason")
        error_code = (header(headers, "kstream.error.code") or b"").decode()
        if value != raw and kind == "too_large_enriched" and not value:
            # Issue 10, item 1: when even the dead-letter topic cannot take a record (the
            # producer's message.max.bytes may follow the output topic's limit, and the DLQ
            # record carries headers too), it gets the coordinates and the reason, no value.
            dlq_without_value += 1
        elif value != raw:
            problems.append(f"{kind} {source}: dlq value is not the input byte for byte "
                            f"({None if value is None else len(value)} vs {None if raw is None else len(raw)} bytes)")
        if not reason:
            problems.append(f"{kind} {source}: dlq record without kstream.error.reason")
        if error_code not in DLQ_CODES.get(kind, PARSER_CODES):
            problems.append(f"{kind} {source}: kstream.error.code {error_code!r}, expected one of "
                            f"{sorted(DLQ_CODES.get(kind, PARSER_CODES))} (reason {reason!r})")
    # Order: within each output partition, the records of one input partition in input order
    # (ext: keys h<n> grow with n in each input partition; dlq: source offsets grow).
    order_breaks = []
    last = {}
    for partition, _offset, key, _value, _headers in out:
        n = int(key[1:])
        if last.get(("ext", partition), -1) > n:
            order_breaks.append(("ext", partition, n))
        last[("ext", partition)] = n
    for partition, _offset, _key, _value, headers in dlq:
        try:
            source_partition = int(header(headers, "kstream.source.partition"))
            source_offset = int(header(headers, "kstream.source.offset"))
        except (TypeError, ValueError):
            continue
        if last.get(("dlq", partition, source_partition), -1) > source_offset:
            order_breaks.append(("dlq", partition, source_partition, source_offset))
        last[("dlq", partition, source_partition)] = source_offset
    misplaced = {}
    for source, (kind, raw, where, _key) in inputs.items():
        if where is None and source in landed:  # mutated: where the strict oracle says
            where = "ext" if isinstance(strict_json(raw), dict) else "dlq"
        if source in landed and landed[source] != where:
            misplaced.setdefault(kind, []).append(source)
    lost = [s for s in inputs if s not in landed]
    lost_kinds = {}
    for s in lost:
        lost_kinds[inputs[s][0]] = lost_kinds.get(inputs[s][0], 0) + 1
    fl.report("hostile_input", {"in": len(inputs), "out": len(out), "dlq": len(dlq), "duplicates": duplicates,
                                "lost": len(lost), "misplaced": sum(len(v) for v in misplaced.values()),
                                "problems": len(problems), "order_breaks": len(order_breaks),
                                "dlq_without_value": dlq_without_value,
                                "transactions_aborted": int(job.aborted), "exit": code,
                                "elapsed_s": round(time.monotonic() - started, 1)})
    assert code is not None, (f"the drain did not finish (180 s, or {fl.ABORT_LOOP} transactions aborted: "
                              f"{int(job.aborted)}):\n{job.log_tail(30)}")
    assert code == 0, f"the drain exited with {code}:\n{job.log_tail(30)}"
    assert not lost, f"{len(lost)} inputs in neither ext nor dlq, by kind: {lost_kinds}"
    assert duplicates == 0, f"{duplicates} inputs written more than once"
    assert not problems, f"{len(problems)} problems, e.g.: {problems[:5]}"
    assert not misplaced, f"inputs in the wrong topic, by kind: { {k: len(v) for k, v in misplaced.items()} }"
    assert not order_breaks, f"per-partition order broken: {order_breaks[:5]}"
    assert len(out) + len(dlq) == len(inputs)
