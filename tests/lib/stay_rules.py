"""The stay rules, written once in Python and independently of the C++ code: the oracle that
the tests (and the benchmark's output check) compare the job's answers with."""
import datetime
import re

# ASCII digits only: Python's \d also matches other scripts' digits (Arabic-Indic, full-width),
# which int() would read, while the job (and any sane reader of the data) refuses them.
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})( (\d{2}):(\d{2}):(\d{2}))?", re.ASCII)


def parse_date(text):
    """A real calendar date as YYYY-MM-DD, optionally followed by ' HH:MM:SS' (ignored);
    None for anything else: null, not a string, 2017-02-30, 2017-13-01, 2017-8-2, garbage,
    and year 0000 (decided once with the job and the generator: a placeholder, not a date)."""
    if not isinstance(text, str):
        return None
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    if match.group(4) and not (int(match.group(5)) < 24 and int(match.group(6)) < 60 and int(match.group(7)) < 61):
        return None
    if int(match.group(1)) == 0:  # said explicitly, not left to datetime.MINYEAR
        return None
    try:
        return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def stay_days(check_in, check_out):
    """Calendar days from check-in to check-out; None when either date is not a real date."""
    a, b = parse_date(check_in), parse_date(check_out)
    if a is None or b is None:
        return None
    return (b - a).days


def category(days):
    if days is None or days <= 0:
        return "Erroneous data"
    if days <= 4:
        return "Short stay"
    if days <= 10:
        return "Standard stay"
    if days <= 14:
        return "Standard extended stay"
    return "Long stay"


def category_of(check_in, check_out):
    return category(stay_days(check_in, check_out))


CATEGORIES = ["Short stay", "Standard stay", "Standard extended stay", "Long stay", "Erroneous data"]
