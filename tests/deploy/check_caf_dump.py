#!/usr/bin/env python3
"""The job's own reading of a rendered caf-application.ini: every key of the file must
come back from `kstream-app --config-file=FILE --dump-config` in its section with the
same value and type (a value CAF could not parse would be missing or differ).

usage: check_caf_dump.py RENDERED.ini DUMP.txt
"""
import json
import re
import sys


def value(raw):
    raw = raw.strip().rstrip(",")
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"-?[0-9]+", raw):
        return int(raw)
    try:
        return json.loads(raw)  # "string" or ["a", "b"]
    except ValueError:
        return ("unparsed", raw)  # durations, atoms, ... (never equal to a file value)


def parse_ini(path):
    out, section = {}, None
    for line in open(path):
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        m = re.fullmatch(r"\[([a-z0-9-]+)\]", line)
        if m:
            section = out.setdefault(m.group(1), {})
            continue
        key, _, raw = line.partition("=")
        section[key.strip()] = value(raw)
    return out


def parse_dump(path):
    out, section, key, items = {}, None, None, None
    for line in open(path):
        s = line.strip()
        if items is not None:
            if s == "]":
                section[key] = items
                items = None
            else:
                items.append(value(s))
            continue
        m = re.fullmatch(r"([a-z0-9-]+) \{", s)
        if m and line.startswith(m.group(1)):
            section = out.setdefault(m.group(1), {})
            continue
        if s == "}" or section is None:
            continue
        m = re.fullmatch(r"([a-z0-9-]+) = (.*)", s)
        if m:
            key = m.group(1)
            if m.group(2) == "[":
                items = []
            elif not m.group(2).startswith("'"):
                section[key] = value(m.group(2))
    return out


def main():
    ini, dump = parse_ini(sys.argv[1]), parse_dump(sys.argv[2])
    bad = [f"[{s}] {k}: file {v!r}, job read {dump.get(s, {}).get(k, '<missing>')!r}"
           for s, entries in ini.items() for k, v in entries.items() if dump.get(s, {}).get(k, object()) != v]
    for b in bad:
        print("FAIL:", b, file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
