#!/usr/bin/env python3
"""Trim `tofu providers schema -json` output to what terraform/ uses, for the offline
azurerm stand-in (tests/deploy/tools/cmd/azurerm-schema-provider).

Keeps the provider block and the resource and data source types named in terraform/*.tf;
drops descriptions (structure only). usage:
  trim-tf-schema.py FULL.json TERRAFORM_DIR "RECORDED FROM" > azurerm-schema.json
"""
import glob
import json
import os
import re
import sys

DROP = {"description", "description_kind"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main():
    full = json.load(open(sys.argv[1]))
    tf_text = "\n".join(open(p).read() for p in sorted(glob.glob(os.path.join(sys.argv[2], "*.tf"))))
    resources = set(re.findall(r'^\s*resource\s+"(azurerm_[a-z0-9_]+)"', tf_text, re.M))
    data_sources = set(re.findall(r'^\s*data\s+"(azurerm_[a-z0-9_]+)"', tf_text, re.M))
    (address, schema), = full["provider_schemas"].items()
    missing = (resources - set(schema["resource_schemas"])) | (data_sources - set(schema.get("data_source_schemas", {})))
    if missing:
        sys.exit(f"not in the provider's schema: {sorted(missing)}")
    out = {
        "format_version": full.get("format_version", "1.0"),
        "recorded_from": sys.argv[3],
        "provider_schemas": {address: {
            "provider": strip(schema["provider"]),
            "resource_schemas": {r: strip(schema["resource_schemas"][r]) for r in sorted(resources)},
            "data_source_schemas": {d: strip(schema["data_source_schemas"][d]) for d in sorted(data_sources)},
        }},
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
