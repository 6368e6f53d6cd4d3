#!/usr/bin/env python3
"""Generate the JSON schemas that kubeconform validates our manifests against.

Offline, from sources obtained through the Go module proxy (or any local copy):
  * Kubernetes' OpenAPI v2 document (api/openapi-spec/swagger.json of the Go module
    k8s.io/kubernetes) for the built-in kinds we render;
  * CustomResourceDefinition YAML files (KEDA's and the Prometheus Operator's Go
    modules ship theirs; CFK's schemas are vendored as published, not generated: see
    tests/deploy/schemas/platform.confluent.io/PROVENANCE).

Output: one "standalone strict" schema per kind and version, named as kubeconform's
`{{ .ResourceKind }}{{ .KindSuffix }}.json` template expects (deployment-apps-v1.json,
kafka-platform-v1beta1.json, ...). Strict means: every object that lists its properties
gets additionalProperties: false, so a misspelt or misplaced field is an error.
Descriptions are dropped (only structure is kept).

usage: gen-schemas.py --out DIR [--swagger swagger.json --kinds group/version/Kind,...]
                      [--crd FILE ...]
"""
import argparse
import copy
import json
import os
import sys

import yaml


def kubeconform_name(group, version, kind):
    # kubeconform: "-" + first label of the group (or the version for the core group),
    # then "-" + version.
    api_version = f"{group}/{version}" if group else version
    parts = api_version.split("/")
    suffix = "-" + parts[0].split(".")[0].lower()
    if len(parts) > 1:
        suffix += "-" + parts[1].lower()
    return f"{kind.lower()}{suffix}.json"


INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
QUANTITY = {"oneOf": [{"type": "string"}, {"type": "number"}]}
DROP_KEYS = {"description", "format", "x-kubernetes-group-version-kind", "x-kubernetes-patch-merge-key",
             "x-kubernetes-patch-strategy", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
             "x-kubernetes-map-type", "x-kubernetes-unions", "x-kubernetes-validations",
             "x-kubernetes-embedded-resource", "example", "externalDocs"}


def allow_null(schema):
    """Optional fields may be written as null in YAML (the API server accepts it)."""
    if "type" in schema:
        t = schema["type"]
        if isinstance(t, str):
            schema["type"] = [t, "null"]
        elif "null" not in t:
            schema["type"] = list(t) + ["null"]
    elif "oneOf" in schema and {"type": "null"} not in schema["oneOf"]:
        schema["oneOf"] = schema["oneOf"] + [{"type": "null"}]
    return schema


def normalise(node, *, crd, root=False):
    """Clean one schema node (recursively) and make it strict."""
    if isinstance(node, list):
        return [normalise(n, crd=crd) for n in node]
    if not isinstance(node, dict):
        return node
    if node.get("x-kubernetes-int-or-string") or node.get("format") == "int-or-string":
        return copy.deepcopy(INT_OR_STRING)
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    nullable = node.get("nullable") is True
    out = {}
    for key, value in node.items():
        if key in DROP_KEYS or key in ("nullable", "x-kubernetes-preserve-unknown-fields",
                                      "x-kubernetes-int-or-string"):
            continue
        if key == "properties":
            out[key] = {k: allow_null(normalise(v, crd=crd)) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = normalise(value, crd=crd) if isinstance(value, (dict, list)) else value
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [normalise(v, crd=crd) for v in value]
        else:
            out[key] = copy.deepcopy(value)
    is_object = out.get("type") == "object" or "properties" in out
    if is_object and "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    if nullable:
        allow_null(out)
    return out


def pin_api_version_and_kind(schema, group, version, kind):
    api_version = f"{group}/{version}" if group else version
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "enum": [api_version]}
    props["kind"] = {"type": "string", "enum": [kind]}
    req = schema.setdefault("required", [])
    for key in ("apiVersion", "kind"):
        if key not in req:
            req.append(key)
    return schema


def from_swagger(path, wanted):
    with open(path) as f:
        definitions = json.load(f)["definitions"]
    special = {
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString": INT_OR_STRING,
        "io.k8s.apimachinery.pkg.api.resource.Quantity": QUANTITY,
    }
    by_gvk = {}
    for name, d in definitions.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            by_gvk[(gvk["group"], gvk["version"], gvk["kind"])] = name

    def inline(node, stack):
        if isinstance(node, list):
            return [inline(n, stack) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"].split("/")[-1]
            if ref in special:
                return copy.deepcopy(special[ref])
            if ref in stack:
                raise SystemExit(f"recursive $ref {ref}: not supported")
            return inline(definitions[ref], stack | {ref})
        return {k: inline(v, stack) for k, v in node.items()}

    result = {}
    for group, version, kind in wanted:
        name = by_gvk.get((group, version, kind))
        if name is None:
            raise SystemExit(f"{group}/{version} {kind}: not in {path}")
        schema = normalise(inline(definitions[name], {name}), crd=False, root=True)
        result[kubeconform_name(group, version, kind)] = pin_api_version_and_kind(schema, group, version, kind)
    return result


def from_crd(path):
    result = {}
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for doc in docs:
        if doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc["spec"]
        group, kind = spec["group"], spec["names"]["kind"]
        for v in spec["versions"]:
            if not v.get("served", True):
                continue
            schema = normalise(v["schema"]["openAPIV3Schema"], crd=True, root=True)
            result[kubeconform_name(group, v["name"], kind)] = pin_api_version_and_kind(
                schema, group, v["name"], kind)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--swagger")
    ap.add_argument("--kinds", default="", help="comma-separated group/version/Kind (core group: empty)")
    ap.add_argument("--crd", action="append", default=[])
    args = ap.parse_args()
    schemas = {}
    if args.swagger:
        wanted = []
        for item in filter(None, args.kinds.split(",")):
            group, version, kind = item.split("/")
            wanted.append((group, version, kind))
        schemas.update(from_swagger(args.swagger, wanted))
    for crd in args.crd:
        schemas.update(from_crd(crd))
    os.makedirs(args.out, exist_ok=True)
    for name, schema in sorted(schemas.items()):
        with open(os.path.join(args.out, name), "w") as f:
            json.dump(schema, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"wrote {os.path.join(args.out, name)}")


if __name__ == "__main__":
    sys.exit(main())
