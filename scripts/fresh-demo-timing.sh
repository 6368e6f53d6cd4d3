#!/usr/bin/env bash
# Measures what a new user meets: `make demo` (or the full `scripts/setup.sh`) from a fresh clone
# on a fresh Debian 12 machine, without touching this machine's broker, Kubernetes or caches.
# Not part of `make test`: it downloads every package and jar anew (minutes), on purpose.
#
#   1. the base: a minbase Debian 12 root from Debian's mirror (scripts/image/base-image.sh,
#      mmdebstrap, imported into podman as docker.io/library/debian:12);
#   2. "the machine": that root plus what a new machine of the project's kind has before any
#      project script runs (OpenJDK 17, Maven, gcc/g++ 12, make, cmake, ninja, GoogleTest, git,
#      Python 3.11, curl...; Node.js 20 and Go copied from this machine, where they do not come
#      from Debian), committed as the image $machine_image. With MACHINE_PACKAGES=FILE (lines
#      "apt<TAB>name<TAB>version", as the workplace's package lists), every Debian package the
#      list names is installed instead of the short list below. Not timed;
#   3. the run: a container of its own (its own network namespace behind podman's NAT bridge, so
#      its broker on 127.0.0.1:9092 is not this machine's) clones branch $FRESH_BRANCH of
#      $FRESH_REPO (mounted read-only) and runs `make demo`, or `CI=true bash scripts/setup.sh`;
#      every output line is stamped with the seconds since the start, on this side.
# Then a summary: the clone, each set-up step, the build, each demo step, the total.
#
# usage: scripts/fresh-demo-timing.sh [demo|setup] [--rebuild-machine]
#   FRESH_REPO   git directory to clone from (default: this checkout's)
#   FRESH_BRANCH branch to clone (default: main)
#   FRESH_OUT    folder for the logs (default: ./fresh-timing, ignored by git)
#   FRESH_STORAGE a folder for podman's images and containers of this run instead of the
#                machine's (e.g. /dev/shm/kstream-fresh, in memory, when the disk is short: the
#                machine image is 1.5 GB, a demo run writes some 3 GB more). Kept for the next
#                run; when done: `rm -rf DIR` (no container of it is left running)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
what="${1:-demo}"
rebuild=false
[ "${2:-}" = --rebuild-machine ] && rebuild=true
case "$what" in demo|setup) ;; *) echo "usage: $0 [demo|setup] [--rebuild-machine]" >&2; exit 2 ;; esac
src="${FRESH_REPO:-$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir)}"
branch="${FRESH_BRANCH:-main}"
out="${FRESH_OUT:-$repo/fresh-timing}"
machine_image=localhost/kstream-fresh-machine:12
podman=(podman --runtime runc --cgroup-manager cgroupfs)
if [ -n "${FRESH_STORAGE:-}" ]; then
  mkdir -p "$FRESH_STORAGE/tmp"
  export TMPDIR="$FRESH_STORAGE/tmp"
  storage=("${podman[@]}" --root "$FRESH_STORAGE/storage" --runroot "$FRESH_STORAGE/run")
else
  storage=("${podman[@]}")
fi
# This machine's hard limits are below podman's defaults (see scripts/image/build-image.sh).
ulimits=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
mkdir -p "$out"

# What every new machine of the project's kind has (its doc: "On a new machine").
base_packages=(
  openjdk-17-jdk-headless maven gcc g++ make cmake ninja-build googletest git
  python3 python3-pip python3-venv python3-dev python3-pytest
  ca-certificates curl procps unzip xz-utils zip file less wget jq iproute2 gnupg tzdata
)

make_machine() {
  bash "$here/image/base-image.sh"
  if [ -n "${FRESH_STORAGE:-}" ] && ! "${storage[@]}" image exists docker.io/library/debian:12; then
    "${podman[@]}" save -q -o "$FRESH_STORAGE/tmp/base.tar" docker.io/library/debian:12
    "${storage[@]}" load -q -i "$FRESH_STORAGE/tmp/base.tar" && rm "$FRESH_STORAGE/tmp/base.tar"
  fi
  local work
  work="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'; ${storage[*]} rm -f kstream-fresh-prep >/dev/null 2>&1 || true" RETURN
  local packages=("${base_packages[@]}")
  if [ -n "${MACHINE_PACKAGES:-}" ]; then # (the image's list lacks what is installed at start)
    mapfile -t -O ${#packages[@]} packages < <(awk -F'\t' '$1 == "apt" { sub(/:amd64$/, "", $2); print $2 }' "$MACHINE_PACKAGES")
  fi
  printf '%s\n' "${packages[@]}" >"$work/packages.txt"
  # Node.js 20 (a nodesource build on the machine, not Debian's) and Go (in /usr/local/go):
  # copied from this machine as they are.
  # npm updates itself in /usr/lib/node_modules when the machine starts: that folder whole.
  if dpkg-query -W nodejs >/dev/null 2>&1; then
    { dpkg -L nodejs | grep -v '^/usr/lib/node_modules/' \
        | while read -r f; do [ -d "$f" ] || [ ! -e "$f" ] || echo "$f"; done
      echo /usr/lib/node_modules; } | tar -cf "$work/node.tar" -T - 2>/dev/null
  fi
  [ -d /usr/local/go ] && tar -C /usr/local -cf "$work/go.tar" go
  # The machine's own certificate authorities (the registries are reached through its egress,
  # whose CA it trusts) and its client settings; the same variables as the machine's below.
  for f in /usr/local/share/ca-certificates/*.crt /etc/npmrc /usr/etc/npmrc /etc/pip.conf; do
    [ -f "$f" ] && mkdir -p "$work/etc$(dirname "$f")" && cp "$f" "$work/etc$f"
  done
  "${storage[@]}" rm -f kstream-fresh-prep >/dev/null 2>&1 || true
  # shellcheck disable=SC2016 # (expanded in the container)
  "${storage[@]}" run --name kstream-fresh-prep "${ulimits[@]}" -v "$work:/prep:ro" \
    docker.io/library/debian:12 bash -euo pipefail -c '
      export DEBIAN_FRONTEND=noninteractive
      printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null
      [ ! -d /prep/etc ] || cp -a /prep/etc/. /
      update-ca-certificates >/dev/null
      # The names Debian has (a list may name packages of other sources).
      mapfile -t available < <(apt-cache pkgnames | sort -u | comm -12 - <(sort -u /prep/packages.txt))
      echo "machine: installing ${#available[@]} Debian packages"
      apt-get install -y -qq --no-install-recommends "${available[@]}" >/dev/null
      [ ! -f /prep/node.tar ] || tar -C / -xf /prep/node.tar
      [ ! -f /prep/go.tar ] || tar -C /usr/local -xf /prep/go.tar
      printf "export PATH=/usr/local/go/bin:/root/go/bin:\$PATH\n" >/etc/profile.d/go.sh
      rm -f /usr/sbin/policy-rc.d
      # The machine starts with empty package lists and no project state.
      apt-get clean && rm -rf /var/lib/apt/lists/* /tmp/* /root/.cache /root/.m2
      for t in java mvn gcc g++ cmake git python3 node npm; do
        printf "machine: %-8s %s\n" "$t" "$("$t" --version 2>&1 | head -n 1)"
      done
      printf "machine: %-8s %s\n" go "$(/usr/local/go/bin/go version)"'
  local bundle=/etc/ssl/certs/ca-certificates.crt env=()
  for v in SSL_CERT_FILE REQUESTS_CA_BUNDLE NODE_EXTRA_CA_CERTS CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE HTTPLIB2_CA_CERTS; do
    env+=(--change "ENV $v=$bundle")
  done
  "${storage[@]}" commit --quiet "${env[@]}" --change "ENV SSL_CERT_DIR=/etc/ssl/certs" \
    --change 'ENV PATH=/usr/local/go/bin:/root/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    kstream-fresh-prep "$machine_image" >/dev/null
  echo "machine: $machine_image made"
}

if $rebuild || ! "${storage[@]}" image exists "$machine_image"; then
  make_machine
fi

case "$what" in
  demo) command='make demo' ;;
  setup) command='CI=true bash scripts/setup.sh' ;;
esac
log="$out/$what-$(date -u +%Y%m%dT%H%M%SZ).log"
name="kstream-fresh-$what-$$"
# shellcheck disable=SC2317 # (called by the trap)
cleanup() { "${storage[@]}" rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
echo "fresh: $command in a new container from $machine_image; log: $log"
start=$(date +%s)
set +e
"${storage[@]}" run --rm --name "$name" --hostname fresh-machine "${ulimits[@]}" \
  -v "$src:/src.git:ro" "$machine_image" bash -euo pipefail -c "
    echo '==> fresh: git clone --branch $branch'
    git clone -q --branch '$branch' /src.git /root/kstream-app
    cd /root/kstream-app
    echo \"    commit \$(git log --oneline -1)\"
    echo '==> fresh: $command'
    $command
    echo '==> fresh: done'" 2>&1 \
  | while IFS= read -r line; do printf '%5d %s\n' $(($(date +%s) - start)) "$line"; done | tee "$log"
rc=${PIPESTATUS[0]}
set -e
total=$(($(date +%s) - start))
{
  echo "---- summary ($what, exit $rc, ${total} s in all)"
  # Each "==>" line starts a step (the clone, each set-up step, the build, each demo step);
  # a step lasts until the next one starts.
  awk -v total="$total" '
    / ==> |^ *[0-9]+ cmake -S / {
      if (name != "") printf "%6d s  %s\n", $1 - t, name
      t = $1; name = $0; sub(/^ *[0-9]+ /, "", name)
    }
    END { if (name != "") printf "%6d s  %s\n", total - t, name }' "$log"
} | tee -a "$log"
exit "$rc"
