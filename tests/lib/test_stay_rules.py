"""The Python oracle against the shared table of date cases (stay_cases.json), which the job
and the generator are checked against too (tests/unit/stay_cases_test.cpp)."""
import json
from pathlib import Path

from stay_rules import category, parse_date, stay_days

CASES = json.loads((Path(__file__).parent / "stay_cases.json").read_text(encoding="utf-8"))["cases"]


def test_every_shared_case_has_its_stay():
    assert len(CASES) >= 30
    wrong = [(ci, co, want, stay_days(ci, co)) for ci, co, want in CASES if stay_days(ci, co) != want]
    assert not wrong, f"(check-in, check-out, expected, oracle): {wrong}"


def test_year_0000_is_not_a_date_and_0001_is():
    assert parse_date("0000-01-01") is None
    assert parse_date("0000-02-29") is None
    assert category(stay_days("0000-12-31", "0001-01-02")) == "Erroneous data"
    assert stay_days("0001-01-01", "0001-01-05") == 4


def test_only_ascii_digits_make_a_date():
    assert parse_date("\u0662\u0660\u0661\u0667-\u0660\u0668-\u0662\u0662") is None
    assert parse_date("2017-08-22") is not None
