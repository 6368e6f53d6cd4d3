"""What the Connect worker writes to Kafka for tricky Avro values: exactly the text Confluent's
blob source connector gives with the schemaless JsonConverter (fields in schema order, nulls as
null, longs exact, doubles as JSON numbers in Java's notation, UTF-8 as is except that characters outside the BMP
come as escaped surrogate pairs), key null, file
partition=N to topic partition N. Needs the broker, Azurite and Connect (label data)."""
import json

import avro.datafile
import avro.io
import avro.schema

from conftest import REPO, count, delete_connector, deploy, dump, unique, upload, wait_for

SCHEMA = avro.schema.parse((REPO / "tools" / "expedia.avsc").read_text())
FIELDS = [f.name for f in SCHEMA.fields]


def record(**values):
    return {name: values.get(name) for name in FIELDS}


# (Avro record, the exact JSON text expected in the topic)
CASES_PARTITION_1 = [
    (record(id=9223372036854775807, hotel_id=-9223372036854775808, site_name=2147483647,
            posa_container=-2147483648, orig_destination_distance=66.7913,
            date_time="Zürich ☃ 東京 😀", srch_ci='quote" backslash\\ slash/ tab\t newline\n ctl\x01 del\x7f',
            srch_co=""),
     # Jackson 2.16 (Kafka 3.9's) writes characters outside the BMP as an escaped surrogate pair
     '{"id":9223372036854775807,"date_time":"Zürich ☃ 東京 \\uD83D\\uDE00","site_name":2147483647,'
     '"posa_container":-2147483648,"user_location_country":null,"user_location_region":null,'
     '"user_location_city":null,"orig_destination_distance":66.7913,"user_id":null,"is_mobile":null,'
     '"is_package":null,"channel":null,"srch_ci":"quote\\" backslash\\\\ slash/ tab\\t newline\\n ctl\\u0001 del\x7f",'
     '"srch_co":"","srch_adults_cnt":null,"srch_children_cnt":null,"srch_rm_cnt":null,'
     '"srch_destination_id":null,"srch_destination_type_id":null,"hotel_id":-9223372036854775808}'),
    (record(),
     '{"id":null,"date_time":null,"site_name":null,"posa_container":null,"user_location_country":null,'
     '"user_location_region":null,"user_location_city":null,"orig_destination_distance":null,"user_id":null,'
     '"is_mobile":null,"is_package":null,"channel":null,"srch_ci":null,"srch_co":null,"srch_adults_cnt":null,'
     '"srch_children_cnt":null,"srch_rm_cnt":null,"srch_destination_id":null,"srch_destination_type_id":null,'
     '"hotel_id":null}'),
]
# doubles: Java's Double.toString notation (what Jackson, and so JsonConverter, prints)
DOUBLES = [(1e-05, "1.0E-5"), (0.0056, "0.0056"), (0.1, "0.1"), (12.0, "12.0"), (1234567.0, "1234567.0"),
           (123456789.0, "1.23456789E8"), (1.5e300, "1.5E300"), (-0.0, "-0.0"), (0.0, "0.0"),
           (4.9e-324, "4.9E-324")]
CASES_PARTITION_0 = [
    (record(id=9007199254740993, hotel_id=2001454759938, orig_destination_distance=value,
            srch_ci="2017-08-22", srch_co="2017-08-23"),
     '{"id":9007199254740993,"date_time":null,"site_name":null,"posa_container":null,'
     '"user_location_country":null,"user_location_region":null,"user_location_city":null,'
     f'"orig_destination_distance":{text},"user_id":null,"is_mobile":null,"is_package":null,"channel":null,'
     '"srch_ci":"2017-08-22","srch_co":"2017-08-23","srch_adults_cnt":null,"srch_children_cnt":null,'
     '"srch_rm_cnt":null,"srch_destination_id":null,"srch_destination_type_id":null,"hotel_id":2001454759938}')
    for value, text in DOUBLES
]


def write_avro(path, rows):
    with open(path, "wb") as f:
        writer = avro.datafile.DataFileWriter(f, avro.io.DatumWriter(), SCHEMA, codec="deflate")
        for row in rows:
            writer.append(row)
        writer.close()


def test_tricky_values_exact_json(container, topic, tmp_path):
    for n, cases in ((0, CASES_PARTITION_0), (1, CASES_PARTITION_1)):
        local = tmp_path / f"p{n}.avro"
        write_avro(local, [row for row, _ in cases])
        upload(container, local, f"topics/expedia/partition={n}/expedia+{n}+0000000000.avro")
    name = unique("json-test-")
    p = deploy(name, container, topic, "--fresh")
    try:
        assert p.returncode == 0, p.stderr
        total = len(CASES_PARTITION_0) + len(CASES_PARTITION_1)
        wait_for(lambda: count(topic) == total, 60, f"{total} records in {topic}")
        rows = dump(topic)
        assert [r[0] for r in rows] == [0] * len(CASES_PARTITION_0) + [1] * len(CASES_PARTITION_1)
        assert all(key == "null" for _, key, _ in rows), "keys are null"
        expected = [text for _, text in CASES_PARTITION_0 + CASES_PARTITION_1]
        got = [value.decode("utf-8") for _, _, value in rows]
        for e, g in zip(expected, got):
            if g != e:
                at = next(i for i in range(min(len(e), len(g))) if e[i] != g[i]) if e[:len(g)] != g[:len(e)] else min(len(e), len(g))
                raise AssertionError(f"differs at {at}: expected {e[at-20:at+20]!r}, got {g[at-20:at+20]!r}")
        # and it is JSON whose values are the Avro values
        for (row, _), value in zip(CASES_PARTITION_0 + CASES_PARTITION_1, rows):
            assert json.loads(value[2]) == row
            assert list(json.loads(value[2])) == FIELDS
    finally:
        delete_connector(name)
