#!/usr/bin/env python3
"""Static checks of Dockerfile and .dockerignore (called by dockerfile.sh).

usage: check_dockerfile.py WORKDIR   (run from the repository root; leaves WORKDIR/context)
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

failures = []
notes = []
CONTRACT_RUNTIME = {"libcaf-core0.17", "libcaf-io0.17", "librdkafka++1", "librdkafka1",
                    "libboost-json1.81.0", "libspdlog1.10"}
# In every Debian 12 (slim) image already: C and C++ runtimes.
BASE_IMAGE = {"libc6", "libgcc-s1", "libstdc++6"}


def check(cond, what):
    (notes if cond else failures).append(what)


def instructions(text):
    """Dockerfile -> [(INSTRUCTION, argument text)], continuations joined, comments dropped."""
    out, buf = [], ""
    for line in text.splitlines():
        if not buf and (line.strip().startswith("#") or not line.strip()):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def dockerignore_patterns():
    """[(negated, regex)] in file order; as Docker does, the last matching pattern wins."""
    pats = []
    for line in open(".dockerignore"):
        line = line.strip()
        if line and not line.startswith("#"):
            neg = line.startswith("!")
            pats.append((neg, to_regex(line.lstrip("!").lstrip("/"))))
    return pats


def to_regex(pat):
    rx, i = "", 0
    while i < len(pat):
        if pat.startswith("**/", i):
            rx += "(?:.*/)?"; i += 3
        elif pat.startswith("**", i):
            rx += ".*"; i += 2
        elif pat[i] == "*":
            rx += "[^/]*"; i += 1
        elif pat[i] == "?":
            rx += "[^/]"; i += 1
        else:
            rx += re.escape(pat[i]); i += 1
    return re.compile(rx + "$")


def ignored(path, patterns):
    """Docker's rule: a pattern applies when it matches the path or one of its parents."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    result = False
    for neg, rx in patterns:
        if any(rx.match(p) for p in prefixes):
            result = not neg
    return result


def main():
    work = sys.argv[1]
    steps = instructions(open("Dockerfile").read())
    froms = [(i, a) for i, (w, a) in enumerate(steps) if w == "FROM"]
    check(len(froms) == 2, f"two stages (multi-stage build): {len(froms)}")
    args = dict(re.match(r"(\w+)=(\S+)", a).groups() for w, a in steps[:froms[0][0]] if w == "ARG" and "=" in a)
    base = args.get("DEBIAN_IMAGE", "")
    check(base == "debian:12", f"build stage on Debian 12 ({base})")
    check(froms[0][1] == "${DEBIAN_IMAGE} AS build", f"stage 1 is 'build' on Debian 12: {froms[0][1]}")
    check(froms[1][1] == "${DEBIAN_IMAGE}-slim AS runtime", f"stage 2 is 'runtime' on Debian 12 slim: {froms[1][1]}")
    build = steps[froms[0][0]:froms[1][0]]
    runtime = steps[froms[1][0]:]
    build_text = "\n".join(a for _, a in build)
    check("bash scripts/setup.d/10-apt-core.sh" in build_text,
          "build stage installs with scripts/setup.d/10-apt-core.sh, the local build's package step")
    check(re.search(r"--target kstream-app", build_text) is not None, "build stage builds target kstream-app")
    check("app/caf-application.ini /out/etc/kstream-app/caf-application.ini" in build_text,
          "default config installed at /etc/kstream-app/caf-application.ini")

    run_text = " ".join(a for w, a in runtime if w == "RUN")
    m = re.search(r"apt-get install -y --no-install-recommends (.*?) &&", run_text)
    runtime_pkgs = set(m.group(1).split()) if m else set()
    check(CONTRACT_RUNTIME <= runtime_pkgs, f"runtime packages include the contract's {sorted(CONTRACT_RUNTIME)}")
    extra = runtime_pkgs - CONTRACT_RUNTIME
    check(extra == {"tini", "ca-certificates"}, f"runtime adds only tini and ca-certificates: {sorted(extra)}")
    check("rm -rf /var/lib/apt/lists/*" in run_text, "apt lists removed from the runtime image")
    copies = [a for w, a in runtime if w == "COPY"]
    check(copies == ["--from=build /out/ /"], f"runtime copies only the build's /out (binary + config): {copies}")
    user = [a for w, a in runtime if w == "USER"]
    check(len(user) == 1 and re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", user[0]) is not None,
          f"runs as a numeric non-root user: {user}")
    app_ini = open("app/caf-application.ini").read()
    port = re.search(r"^\[http\][^\[]*?^port=(\d+)", app_ini, re.M | re.S).group(1)
    check([a for w, a in runtime if w == "EXPOSE"] == [port], f"EXPOSE {port} (the [http] port)")
    ep = [a for w, a in runtime if w == "ENTRYPOINT"]
    try:
        ep_json = json.loads(ep[0])
    except (IndexError, ValueError):
        ep_json = None
    check(ep_json == ["/usr/bin/tini", "--", "/usr/local/bin/kstream-app"],
          f"exec-form ENTRYPOINT through tini (SIGTERM forwarded to the job): {ep}")
    cmd = [json.loads(a) for w, a in runtime if w == "CMD"]
    check(cmd == [["--config-file=/etc/kstream-app/caf-application.ini"]], f"CMD passes the default config: {cmd}")
    check([a for w, a in runtime if w == "STOPSIGNAL"] == ["SIGTERM"], "STOPSIGNAL SIGTERM")
    check(all(w != "ADD" for w, _ in steps), "no ADD (COPY only)")

    # Runtime packages against Debian 12's package lists, when this machine has them.
    have_lists = bool(glob.glob("/var/lib/apt/lists/*_Packages*"))
    if have_lists and shutil.which("apt-cache"):
        for pkg in sorted(runtime_pkgs):
            check(sh("apt-cache", "show", pkg).returncode == 0, f"{pkg} exists in Debian 12")
        apt_core = open("scripts/setup.d/10-apt-core.sh").read()
        dev_pkgs = [p for p in re.findall(r"\b(lib[a-z0-9.+-]+-dev)\b", apt_core)]
        dev_deps = set()
        for dev in dev_pkgs:
            out = sh("apt-cache", "depends", "--no-recommends", "--no-suggests", dev).stdout
            dev_deps |= set(re.findall(r"^\s+Depends: ([^\s<>]+)", out, re.M))
        check(CONTRACT_RUNTIME <= dev_deps,
              f"every runtime library package is what a -dev package of the build depends on "
              f"(missing: {sorted(CONTRACT_RUNTIME - dev_deps)})")
        # The built binary's libraries, if there is a build.
        # The release build of `make build` (build/); the sanitizer build links its runtimes.
        binaries = sorted(p for p in glob.glob("build/**/kstream-app", recursive=True) if os.access(p, os.X_OK) and os.path.isfile(p))
        if binaries and shutil.which("readelf"):
            needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", sh("readelf", "-d", binaries[0]).stdout)
            closure_out = sh("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                             "--no-breaks", "--no-replaces", "--no-enhances", *sorted(runtime_pkgs)).stdout
            closure = set(re.findall(r"^(\S+)$", closure_out, re.M)) | set(re.findall(r"Depends: (\S+)", closure_out))
            closure = {p.split(":")[0] for p in closure} | BASE_IMAGE
            ldd = sh("ldd", binaries[0]).stdout
            for soname in needed:
                m = re.search(rf"^\s*{re.escape(soname)} => (\S+)", ldd, re.M)
                if not m:
                    check(False, f"{soname} of {binaries[0]} does not resolve here")
                    continue
                owner = sh("dpkg", "-S", os.path.realpath(m.group(1))).stdout.split(":")[0]
                if not owner:
                    owner = sh("dpkg", "-S", m.group(1)).stdout.split(":")[0]
                check(owner in closure, f"{soname} (package {owner}) is in the runtime image")
            print(f"note: checked the {len(needed)} NEEDED libraries of {binaries[0]}")
        else:
            print("note: no built kstream-app yet: its NEEDED libraries were not checked")
    else:
        print("note: no apt package lists on this machine: runtime package names not checked against Debian")

    # The build context: what .dockerignore leaves of the tracked files.
    patterns = dockerignore_patterns()
    files = sh("git", "ls-files", "--cached", "--others", "--exclude-standard").stdout.split()
    ctx = os.path.join(work, "context")
    kept = [f for f in files if not ignored(f, patterns) and os.path.isfile(f)]
    for f in kept:
        os.makedirs(os.path.join(ctx, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(f, os.path.join(ctx, f))
    for must in ("CMakeLists.txt", "scripts/lib/apt.sh", "scripts/setup.d/10-apt-core.sh", "app/caf-application.ini"):
        check(os.path.isfile(os.path.join(ctx, must)), f"{must} is in the build context")
    for gone in ("charts", "terraform", "confluent", ".git", "tools", "bench", "tests/deploy", "build"):
        check(not any(f == gone or f.startswith(gone + "/") for f in kept), f"{gone}/ is not in the build context")

    if failures:
        for f in failures:
            print("FAIL:", f, file=sys.stderr)
        sys.exit(1)
    for n in notes:
        print("ok:", n)


if __name__ == "__main__":
    main()
