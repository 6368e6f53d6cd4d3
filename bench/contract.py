"""The team's enrichment contract as an independent Python oracle, for checking contenders.

stay days = calendar days from srch_ci to srch_co ("YYYY-MM-DD", an optional trailing
" HH:MM:SS" ignored); null, missing, empty, non-string or not a real date -> None and
"Erroneous data"; days <= 0 -> "Erroneous data"; 1-4 "Short stay"; 5-10 "Standard stay";
11-14 "Standard extended stay"; 15+ "Long stay".
"""
# The stay rules themselves are the project's one Python oracle, shared with the tests (tests/lib).
from stay_rules import CATEGORIES, category, parse_date, stay_days  # noqa: F401


def enrich(record):
    """The expected stay_duration and stay_category of one input record (a dict)."""
    days = stay_days(record.get("srch_ci"), record.get("srch_co"))
    return days, category(days)
