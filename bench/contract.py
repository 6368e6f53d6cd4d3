"""The team's enrichment contract as an independent Python oracle, for checking contenders.

stay days = calendar days from srch_ci to srch_co ("YYYY-MM-DD", an optional trailing
" HH:MM:SS" ignored); null, missing, empty, non-string or not a real date -> None and
"Erroneous data"; days <= 0 -> "Erroneous data"; 1-4 "Short stay"; 5-10 "Standard stay";
11-14 "Standard extended stay"; 15+ "Long stay".
"""
import os
import sys

# The stay rules themselves are the project's one Python oracle, shared with the tests.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
from stay_rules import CATEGORIES, category, parse_date, stay_days  # noqa: E402,F401


def enrich(record):
    """The expected stay_duration and stay_category of one input record (a dict)."""
    days = stay_days(record.get("srch_ci"), record.get("srch_co"))
    return days, category(days)


# Edge cases every contender must classify identically (bench.py --contract-check).
EDGE_CASES = [
    ("2017-08-22", "2017-08-23"), ("2017-08-22", "2017-08-26"), ("2017-08-22", "2017-08-27"),
    ("2017-08-22", "2017-09-01"), ("2017-08-22", "2017-09-02"), ("2017-08-22", "2017-09-05"),
    ("2017-08-22", "2017-09-06"), ("2016-02-28", "2016-03-01"), ("2017-02-28", "2017-03-01"),
    ("2017-12-30", "2018-01-02"), ("2017-08-22", "2017-08-22"), ("2017-08-23", "2017-08-22"),
    (None, "2017-08-22"), ("2017-08-22", None), ("", "2017-08-22"), ("2017-08-22", ""),
    ("2017-02-30", "2017-03-02"), ("2017-13-01", "2017-13-03"), ("2017-8-2", "2017-8-5"),
    (20170822, "2017-08-25"), ("2017-08-22 00:00:00", "2017-08-25 12:30:00"),
    ("2017-08-22T00:00:00", "2017-08-25"), ("not a date", "2017-08-25"), ("2017-08-22x", "2017-08-25"),
    ("2016-02-29", "2016-03-14"), ("2015-01-01", "2017-01-01"), ("missing", "missing"),
]
