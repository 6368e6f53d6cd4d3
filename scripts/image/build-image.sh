#!/usr/bin/env bash
# Builds the job's image from the Dockerfile without a Docker engine: podman build (Debian's
# podman + buildah, runc, cgroupfs) on the base images of base-image.sh, never pulling
# (--pull=never: no registry is reachable; FROM debian:12 is the local image). Layers are
# cached, so a rebuild after a source change recompiles only the job.
# usage: build-image.sh [TAG]   (default localhost/kstream-app:dev); prints the image size.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tag="${1:-localhost/kstream-app:dev}"
# The flags that work on these machines (shared/notes/toolchain-facts.md): crun refuses
# the hybrid cgroup v1 layout, and the default ulimits exceed the hard limits.
podman=(podman --runtime runc --cgroup-manager cgroupfs)
ulimits=(--ulimit nofile=1024:1024 --ulimit nproc=1000:1000)

bash "$repo/scripts/image/base-image.sh"
start=$SECONDS
# --network host: the build stage's apt-get reaches Debian's mirror as the host does
# (no bridge or NAT needed in the build).
nice -n 10 "${podman[@]}" build --pull=never --network host "${ulimits[@]}" \
  --layers --tag "$tag" --file "$repo/Dockerfile" "$repo"
size="$("${podman[@]}" image inspect --format '{{.Size}}' "$tag")"
echo "build-image: $tag built in $((SECONDS - start)) s, size $((size / 1000000)) MB ($size bytes)"
