#!/usr/bin/env python3
"""Every library and CMake package that configuring the Docker build context found must
come from the packages of scripts/setup.d/10-apt-core.sh (or what they depend on), the
only package step the image's build stage runs. Called by dockerfile.sh.

usage: check_build_packages.py CONTEXT_BUILD/CMakeCache.txt
"""
import os
import re
import subprocess
import sys


def main():
    text = open("scripts/setup.d/10-apt-core.sh").read().replace("\\\n", " ")
    m = re.search(r"^apt_install (.*)$", text, re.M)
    wanted = m.group(1).split()
    out = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                          "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *wanted],
                         capture_output=True, text=True).stdout
    closure = set(re.findall(r"^(\S+)$", out, re.M)) | set(re.findall(r"Depends: (\S+)", out))
    closure = {p.split(":")[0] for p in closure} | set(wanted) | {"libc6-dev", "libc6", "libstdc++-12-dev"}
    found = {}
    for line in open(sys.argv[1]):
        m = re.match(r"^([A-Za-z0-9_.+-]+):(PATH|FILEPATH|STRING)=(/usr/\S+)$", line.strip())
        if m and os.path.exists(m.group(3)) and not m.group(1).startswith("CMAKE_"):
            found[m.group(1)] = m.group(3)
    bad = []
    for name, path in sorted(found.items()):
        res = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True)
        if res.returncode != 0:
            res = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if res.returncode != 0:
            continue  # not from a package (made by the build itself, or a local install)
        # "pkg1, pkg2: path" for a directory several packages share: one of them suffices.
        owners = {o.strip().split(":")[0] for o in res.stdout.splitlines()[0].rsplit(": ", 1)[0].split(",")}
        if not owners & closure:
            bad.append(f"{name}={path} comes from {', '.join(sorted(owners))}, which 10-apt-core.sh does not install")
    for b in bad:
        print("FAIL:", b, file=sys.stderr)
    if not bad:
        print(f"note: {len(found)} paths CMake found, all from 10-apt-core.sh's packages")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
