"""kstream-datagen: layout, schema, deflate, manifest against an independent recount, realism,
determinism, the published table at full size, and clean failures. No broker (label unit)."""
import datetime
import json
import os
import subprocess

import avro.datafile
import avro.io
import pytest

from conftest import REPO, datagen, run

from stay_rules import category_of as category, parse_date  # noqa: E402  (tests/lib: the shared oracle)

RECORDS = 20000
PUBLISHED = [("Short stay", 1951037, 2494), ("Standard stay", 217710, 2422),
             ("Standard extended stay", 11844, 2452), ("Long stay", 5044, 2158),
             ("Erroneous data", 3495, 1856)]
FIELDS = ["id", "date_time", "site_name", "posa_container", "user_location_country", "user_location_region",
          "user_location_city", "orig_destination_distance", "user_id", "is_mobile", "is_package", "channel",
          "srch_ci", "srch_co", "srch_adults_cnt", "srch_children_cnt", "srch_rm_cnt", "srch_destination_id",
          "srch_destination_type_id", "hotel_id"]


def generate(out, records=RECORDS, seed=42, extra=()):
    p = run([datagen(), "--records", str(records), "--seed", str(seed), "--out", str(out), *extra])
    assert p.stdout.strip().splitlines()[-1] == str(out)
    return p


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("datagen") / "set"
    p = generate(out)
    return out, p.stderr


def read_partition(path):
    with open(path, "rb") as f:
        reader = avro.datafile.DataFileReader(f, avro.io.DatumReader())
        meta = dict(reader.meta)
        records = list(reader)
    return meta, records


def test_layout_schema_and_codec(dataset):
    out, _ = dataset
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.avro"))
    assert files == [f"topics/expedia/partition={n}/expedia+{n}+0000000000.avro" for n in range(3)]
    reference = (REPO / "tools" / "expedia.avsc").read_text().strip()
    for n in range(3):
        meta, _ = read_partition(out / files[n])
        assert meta["avro.codec"] == b"deflate"
        # byte for byte the reference text, and the same schema when parsed
        assert meta["avro.schema"].decode() == reference
        schema = json.loads(meta["avro.schema"])
        assert schema["type"] == "record" and schema["name"] == "topLevelRecord"
        assert [f["name"] for f in schema["fields"]] == FIELDS
        assert all(isinstance(f["type"], list) and len(f["type"]) == 2 and f["type"][1] == "null"
                   for f in schema["fields"])
        assert [f["type"][0] for f in schema["fields"]].count("long") == 2  # id, hotel_id


def test_manifest_equals_independent_recount(dataset):
    out, _ = dataset
    manifest = json.loads((out / "manifest.json").read_text())
    assert list(manifest) == ["seed", "records", "partitions", "per_partition", "categories"]
    assert (manifest["seed"], manifest["records"], manifest["partitions"]) == (42, RECORDS, 3)
    assert [c["stay_category"] for c in manifest["categories"]] == [c[0] for c in PUBLISHED]
    assert all(list(c) == ["stay_category", "records", "distinct_hotels"] for c in manifest["categories"])
    records = {c: 0 for c, _, _ in PUBLISHED}
    hotels = {c: set() for c, _, _ in PUBLISHED}
    ids = []
    for n in range(3):
        _, rows = read_partition(out / f"topics/expedia/partition={n}/expedia+{n}+0000000000.avro")
        assert len(rows) == manifest["per_partition"][n]
        assert all(r["id"] % 3 == n for r in rows), "record id i is in partition i mod 3"
        assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
        for r in rows:
            c = category(r["srch_ci"], r["srch_co"])
            records[c] += 1
            if r["hotel_id"] is not None:
                hotels[c].add(r["hotel_id"])
            ids.append(r["id"])
    assert sorted(ids) == list(range(RECORDS))
    got = [{"stay_category": c, "records": records[c], "distinct_hotels": len(hotels[c])} for c, _, _ in PUBLISHED]
    assert got == manifest["categories"]
    # the real proportions, to the record (largest remainder)
    for (name, full, _), row in zip(PUBLISHED, got):
        assert abs(row["records"] - full * RECORDS / 2189130) < 1


def test_values_look_real(dataset):
    out, _ = dataset
    rows = []
    for n in range(3):
        rows += read_partition(out / f"topics/expedia/partition={n}/expedia+{n}+0000000000.avro")[1]
    assert all(9 <= len(str(r["hotel_id"])) <= 13 for r in rows)
    assert len({r["hotel_id"] for r in rows}) >= 2400
    null_distance = sum(r["orig_destination_distance"] is None for r in rows)
    assert 0.2 * len(rows) < null_distance < 0.5 * len(rows)
    erroneous = {"null": 0, "empty": 0, "same day": 0, "before": 0, "not a date": 0}
    for r in rows:
        dt = datetime.datetime.strptime(r["date_time"], "%Y-%m-%d %H:%M:%S")
        assert 2015 <= dt.year <= 2017
        assert 1 <= r["srch_adults_cnt"] <= 9 and 0 <= r["srch_children_cnt"] <= 9 and 1 <= r["srch_rm_cnt"] <= 8
        assert r["is_mobile"] in (0, 1) and r["is_package"] in (0, 1)
        ci, co = r["srch_ci"], r["srch_co"]
        if category(ci, co) != "Erroneous data":
            assert parse_date(ci) > dt.date(), "check-in after the search"
            continue
        if ci == "" or co == "":
            erroneous["empty"] += 1
        elif ci is None or co is None:
            erroneous["null"] += 1
        elif parse_date(ci) is None or parse_date(co) is None:
            erroneous["not a date"] += 1
        elif ci == co:
            erroneous["same day"] += 1
        else:
            assert parse_date(co) < parse_date(ci)
            erroneous["before"] += 1
    assert all(erroneous.values()), erroneous


def test_same_seed_same_bytes_other_seed_other_bytes(dataset, tmp_path):
    out, _ = dataset
    generate(tmp_path / "again")
    generate(tmp_path / "other", seed=7)
    for n in range(3):
        rel = f"topics/expedia/partition={n}/expedia+{n}+0000000000.avro"
        assert (out / rel).read_bytes() == (tmp_path / "again" / rel).read_bytes()
        assert (out / rel).read_bytes() != (tmp_path / "other" / rel).read_bytes()
    assert (out / "manifest.json").read_bytes() == (tmp_path / "again" / "manifest.json").read_bytes()


def test_full_size_plan_is_the_published_table():
    # The generator checks every record it writes against its plan (and fails otherwise), so the
    # plan at the real size is the table a full run writes; a full run is `make demo FULL=1`.
    p = run([datagen(), "--plan-only"])
    manifest = json.loads(p.stdout)
    assert manifest["records"] == 2189130 and manifest["per_partition"] == [729710] * 3
    assert [(c["stay_category"], c["records"], c["distinct_hotels"]) for c in manifest["categories"]] == PUBLISHED


def test_progress_and_cache(dataset, tmp_path):
    _, stderr = dataset
    assert "100%" in stderr and "records" in stderr
    cache = tmp_path / "cache"
    env = {"KSTREAM_CACHE": str(cache)}
    first = run([datagen(), "--records", "300", "--seed", "5"], env=env)
    expected = cache / "data" / "seed-5-records-300"
    assert first.stdout.strip().splitlines()[-1] == str(expected)
    assert (expected / "manifest.json").is_file()
    second = run([datagen(), "--records", "300", "--seed", "5"], env=env)
    assert "reusing" in second.stderr and second.stdout.strip().splitlines()[-1] == str(expected)


def test_bad_arguments_and_unwritable_output(tmp_path):
    for args in (["--records", "0"], ["--records", "12x"], ["--seed", "-1"], ["--bogus"]):
        p = run([datagen(), *args], check=False)
        assert p.returncode == 2, (args, p.stderr)
        assert "kstream-datagen:" in p.stderr
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    p = run([datagen(), "--records", "100", "--out", str(blocker / "set")], check=False)
    assert p.returncode == 1 and "error" in p.stderr and str(blocker) in p.stderr
    # nothing half-written: no data set and no temporary folder left behind
    assert sorted(os.listdir(tmp_path)) == ["file"]
