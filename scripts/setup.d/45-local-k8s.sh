#!/usr/bin/env bash
# A single-node Kubernetes for the k8s tests (scripts/local-k8s.sh): etcd, containerd, runc
# and the CNI plugins from Debian; kube-apiserver, kube-controller-manager, kube-scheduler,
# kubelet, kube-proxy and kubectl built from k8s.io/kubernetes ($KUBERNETES_VERSION) through the Go
# module proxy, with the wrapper module scripts/local-k8s/go.mod. The six binaries are
# built by ONE `go build` so that the packages they share are compiled once; the result is
# kept in $KSTREAM_TOOLS_BIN/k8s and rebuilt only when the version or the wrapper changes.
# Also the image tools of the `image` tests: podman, buildah and mmdebstrap (the base image
# is made locally from Debian's packages: no image registry is reachable).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/lib/apt.sh
source "$here/../lib/apt.sh"
# shellcheck source=scripts/deploy/tool-versions.sh
source "$repo/scripts/deploy/tool-versions.sh"

apt_install podman buildah runc mmdebstrap uidmap fuse-overlayfs slirp4netns \
  containerd containernetworking-plugins etcd-server iptables conntrack socat ethtool \
  ebtables iproute2 util-linux mount

command -v go >/dev/null 2>&1 || { echo "45-local-k8s: Go is needed to build Kubernetes" >&2; exit 1; }

out="$KSTREAM_TOOLS_BIN/k8s"
wrapper="$repo/scripts/local-k8s"
stamp="$KUBERNETES_VERSION $(cat "$wrapper/go.mod" "$wrapper/go.sum" "$wrapper/pause/main.go" | sha256sum | cut -c1-16)"
bins="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl"
ready=true
for b in $bins pause; do [ -x "$out/$b" ] || ready=false; done
if $ready && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

echo "45-local-k8s: building Kubernetes $KUBERNETES_VERSION ($bins) - a cold build takes long (see README, deploy)"
start=$SECONDS
mkdir -p "$out"
pkgs=()
for b in $bins; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
# ... and the pod sandbox process of the local cluster (its "pause" image).
pkgs+=(kstream-app/local-k8s/pause)
# The version the binaries report (the API server's /version, which helm checks against a
# chart's kubeVersion): what the Kubernetes release build stamps in with -X.
minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
# Static binaries, as the Kubernetes release builds them; low priority (2 shared cores).
(cd "$wrapper" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
  nice -n 10 go build -trimpath -ldflags="$ldflags" -o "$out/" "${pkgs[@]}")
printf '%s\n' "$stamp" >"$out/.stamp"
echo "45-local-k8s: Kubernetes binaries ready in $((SECONDS - start)) s"
