#!/usr/bin/env bash
# Makes the Debian 12 base images that the Dockerfile's FROM lines name (debian:12 for the
# build stage, debian:12-slim for the runtime stage) locally, from Debian's packages: no
# container registry is reachable here. mmdebstrap builds a minbase bookworm root file
# system from the mirror apt already uses (with bookworm-updates and bookworm-security, as
# Debian's own images have); the slim one leaves the documentation out, as Debian's slim
# images do; podman imports both. Rebuilt only when missing or older than
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
nice -n 10 mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
  --customize-hook="$cleanup_hook" \
  bookworm "$work/rootfs.tar" \
  "deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main"
import_rootfs() { # TAR NAME
  "${podman[@]}" import --quiet --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$1" "$2" >/dev/null
}
import_rootfs "$work/rootfs.tar" "${names[0]}"
# Slim, as Debian's slim images: no manuals, docs (but the copyright files), info pages,
# translations; dpkg told to leave them out of later installs too. (The full image keeps
# them: some postinst scripts, e.g. OpenJDK's, need /usr/share/man/man1.)
mkdir "$work/slim"
tar -C "$work/slim" -xf "$work/rootfs.tar"
find "$work/slim/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$work/slim/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$work/slim/usr/share/man/"* "$work/slim/usr/share/info/"* "$work/slim/usr/share/locale/"* \
  "$work/slim/usr/share/lintian/"*
cat >"$work/slim/etc/dpkg/dpkg.cfg.d/kstream-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
tar -C "$work/slim" --numeric-owner -cf "$work/slim.tar" .
import_rootfs "$work/slim.tar" "${names[1]}"
echo "base-image: ${names[*]} made from Debian packages in $((SECONDS - start)) s ($(du -m "$work/rootfs.tar" | cut -f1) MB, slim $(du -m "$work/slim.tar" | cut -f1) MB)"
