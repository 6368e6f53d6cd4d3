#!/usr/bin/env python3
"""Checks that the sources' includes follow the layers, each knowing only the ones before it:

    domain <- messages <- core <- actors <- adapters <- wiring <- app

An include of a later layer from an earlier one (say actors/ including adapters/ or app/), or
of anything under the project's other folders (tests/, bench/, tools/) from a layer, is an
error; so is librdkafka named before adapters/ (its headers, RdKafka:: or an rd_kafka_ name in
domain/, messages/, core/ or actors/: the ports speak in the project's own types, such as the
opaque group_metadata handle). This prints each one with file and line and exits 1. Run by the
unit test "layering".

    check_layers.py [SOURCE_DIR] [--self-test]
"""
import re
import sys
from pathlib import Path

LAYERS = ["domain", "messages", "core", "actors", "adapters", "wiring", "app"]
# The first layer that may know librdkafka: the ones before it reach Kafka only through ports.
KAFKA_LAYER = "adapters"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
KAFKA_NAME = re.compile(r'#\s*include\s*[<"]librdkafka/|\bRdKafka::|\brd_kafka_\w*')

def violations(root):
    found = []
    for rank, layer in enumerate(LAYERS):
        for path in sorted((root / layer).rglob("*")):
            if path.suffix not in (".hpp", ".cpp", ".h", ".cc"):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if rank < LAYERS.index(KAFKA_LAYER):
                for match in KAFKA_NAME.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{path.relative_to(root)}:{line}: {layer}/ names librdkafka "
                                 f"({match.group(0).strip()}); only {KAFKA_LAYER}/ and later may")
            for match in INCLUDE.finditer(text):
                target = match.group(1)
                top = target.split("/", 1)[0] if "/" in target else None
                if top is None:
                    continue  # a file beside this one
                line = text.count("\n", 0, match.start()) + 1
                where = f"{path.relative_to(root)}:{line}"
                if top not in LAYERS:
                    if (root / top).is_dir():
                        found.append(f"{where}: {layer}/ includes {target}, outside the layers")
                    continue
                if LAYERS.index(top) > rank:
                    found.append(f"{where}: {layer}/ includes {target}, but {top}/ is a later layer "
                                 f"({' <- '.join(LAYERS)})")
    return found


def self_test():
    """The check must catch an upward include: build a tree with one and expect it reported."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for layer in LAYERS:
            (root / layer).mkdir()
        (root / "tests").mkdir()
        (root / "domain" / "a.hpp").write_text('#include "domain/b.hpp"\n')
        (root / "actors" / "c.hpp").write_text('#include "messages/x.hpp"\n#include "app/config.hpp"\n')
        (root / "adapters" / "d.cpp").write_text('#include "tests/lib/fake.hpp"\n#include <librdkafka/rdkafkacpp.h>\n')
        (root / "core" / "e.hpp").write_text('#include "messages/x.hpp"\n// librdkafka is fine in prose\n'
                                             '#include <librdkafka/rdkafka.h>\n')
        (root / "messages" / "f.hpp").write_text('struct rd_kafka_consumer_group_metadata_s;\n'
                                                 'using g = RdKafka::ConsumerGroupMetadata;\n')
        found = violations(root)
        assert len(found) == 5, found
        assert "messages/f.hpp:1" in found[0] and "rd_kafka_consumer_group_metadata_s" in found[0], found
        assert "messages/f.hpp:2" in found[1] and "RdKafka::" in found[1], found
        assert "core/e.hpp:3" in found[2] and "librdkafka/" in found[2], found
        assert "actors/c.hpp:2" in found[3] and "app/config.hpp" in found[3], found
        assert "adapters/d.cpp:1" in found[4], found


def main(argv):
    root = Path(next((a for a in argv[1:] if not a.startswith("--")), Path(__file__).resolve().parents[1]))
    self_test()
    found = violations(root)
    for item in found:
        print(item)
    if found:
        print(f"{len(found)} include(s) against the layers")
        return 1
    print(f"layers clean: {' <- '.join(LAYERS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
