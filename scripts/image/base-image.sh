#!/usr/bin/env bash
# Makes the Debian 12 base images that the Dockerfile's FROM lines name (debian:12 for the
# build stage, debian:12-slim for the runtime stage) locally, from Debian's packages: no
# container registry is reachable here. mmdebstrap builds a minbase bookworm root file
# system from the mirror apt already uses (with bookworm-updates and bookworm-security, as
# Debian's own images have), with the documentation left out as in Debian's slim images;
# podman imports it under both names. Rebuilt only when missing or older than
# KSTREAM_BASE_MAX_AGE_DAYS (default 7, so security updates come in).
# usage: base-image.sh [--force]
set -euo pipefail
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
max_age_days="${KSTREAM_BASE_MAX_AGE_DAYS:-7}"
names=(docker.io/library/debian:12 docker.io/library/debian:12-slim)
podman=(podman --runtime runc --cgroup-manager cgroupfs)

if [ "${1:-}" != "--force" ]; then
  fresh=true
  for n in "${names[@]}"; do
    created="$("${podman[@]}" image inspect --format '{{.Created.Unix}}' "$n" 2>/dev/null || echo 0)"
    [ $(( $(date +%s) - created )) -lt $(( max_age_days * 86400 )) ] || fresh=false
  done
  if $fresh; then echo "base-image: ${names[*]} present"; exit 0; fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start=$SECONDS
# $1 is the root file system, expanded by the hook's own shell.
# shellcheck disable=SC2016
cleanup_hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log'
# Slim: no manuals, docs or translations (Debian's slim images drop the same paths).
nice -n 10 mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --customize-hook="$cleanup_hook" \
  bookworm "$work/rootfs.tar" \
  "deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main"
for n in "${names[@]}"; do
  "${podman[@]}" import --quiet --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$work/rootfs.tar" "$n" >/dev/null
done
echo "base-image: ${names[*]} made from Debian packages in $((SECONDS - start)) s ($(du -m "$work/rootfs.tar" | cut -f1) MB)"
