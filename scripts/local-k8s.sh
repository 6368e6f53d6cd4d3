#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, from packaged parts (ctest label k8s):
#   etcd (Debian's etcd-server), containerd + runc + CNI plugins (Debian), and
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl
#   built from k8s.io/kubernetes by scripts/setup.d/45-local-k8s.sh.
# No registry is reachable: the pod sandbox ("pause") image is a 1-file image of our own
# (scripts/local-k8s/pause), and the job's image is imported with `import-image`.
# cgroupfs driver throughout (the machine has a hybrid cgroup v1 layout, no systemd).
#
# usage: local-k8s.sh start|stop|status|kubeconfig|import-image IMAGE|crds
#   start         start every component (idempotent), wait until the node is Ready
#   stop          delete the pods (gracefully), then stop the components
#   status        what runs, and the node
#   kubeconfig    print the path of the admin kubeconfig (export KUBECONFIG=$(... kubeconfig))
#   import-image  copy an image from podman's store into the cluster's containerd
#   crds          apply CFK's CRDs, made from the vendored schemas (tests/deploy/schemas/
#                 platform.confluent.io), and wait until they are established
# Environment: KSTREAM_K8S_DIR (state, default /var/tmp/kstream-k8s), K8S_API_PORT (16443),
# K8S_ETCD_PORT (23790). Everything listens on 127.0.0.1 except the API server, which also
# answers on the node address (the `kubernetes` Service must not point at a loopback address).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=scripts/deploy/tool-versions.sh
source "$repo/scripts/deploy/tool-versions.sh"
# shellcheck source=scripts/lib/service.sh
source "$repo/scripts/lib/service.sh"
bin="$KSTREAM_TOOLS_BIN/k8s"
dir="${KSTREAM_K8S_DIR:-/var/tmp/kstream-k8s}"
run="/run/kstream-k8s"
api_port="${K8S_API_PORT:-16443}"
etcd_port="${K8S_ETCD_PORT:-23790}"
sock="$run/containerd.sock"
pause_image="localhost/kstream-pause:1"
pod_cidr="10.244.0.0/24"
service_cidr="10.96.0.0/16"
kubeconfig="$dir/admin.kubeconfig"
export KUBECONFIG="$kubeconfig"
kubectl=("$bin/kubectl" --request-timeout=20s)

die() { echo "local-k8s: $*" >&2; exit 1; }
log() { echo "local-k8s: $*"; }
node_ip() { ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n 1; }
node_name() { hostname | tr '[:upper:]' '[:lower:]'; }
# A component is alive when the process its pid file names runs and is the one that was
# recorded (lib/service.sh: not a later process that got the same pid after a crash or reboot).
alive() { service_pid "$dir/$1.pid" >/dev/null; }

# wait_until SECONDS WHAT CMD...: poll CMD every second.
wait_until() {
  local limit="$1" what="$2"; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || die "$what: not within ${limit}s (logs in $dir/*.log)"
    sleep 1
  done
}

# launch NAME CMD...: start CMD in the background (unless already running), log and pid in $dir.
launch() {
  local name="$1"; shift
  if alive "$name"; then return 0; fi
  # fds 3-9 closed: a lock the caller holds (flock /tmp/kstream-k8s.lock ...) must not live on
  # in the daemons, or the cluster would keep it until it stops.
  nohup "$@" >>"$dir/$name.log" 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
  echo $! >"$dir/$name.pid"
  log "$name started (pid $!, log $dir/$name.log)"
}

check_prereqs() {
  local missing=()
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl pause; do
    [ -x "$bin/$b" ] || missing+=("$bin/$b")
  done
  for b in etcd containerd containerd-shim-runc-v2 runc ctr iptables openssl podman; do
    command -v "$b" >/dev/null 2>&1 || missing+=("$b")
  done
  [ -x /usr/lib/cni/bridge ] || missing+=(/usr/lib/cni/bridge)
  [ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (run make setup: scripts/setup.d/45-local-k8s.sh)"
  [ "$(id -u)" -eq 0 ] || die "must run as root (kubelet, containerd, iptables)"
}

make_pki() {
  local pki="$dir/pki" ip
  ip="$(node_ip)"
  [ -f "$pki/done" ] && [ "$(cat "$pki/done")" = "$ip" ] && return 0
  rm -rf "$pki" && mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj /CN=kstream-local-ca 2>/dev/null
    cert() { # NAME SUBJECT [SANS]
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n%s\n' \
        "${3:+subjectAltName=$3}" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile "$1.ext" 2>/dev/null
    }
    cert apiserver /CN=kube-apiserver \
      "IP:127.0.0.1,IP:$ip,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    # One identity for the local components and the tests: a cluster administrator.
    cert admin "/O=system:masters/CN=kstream-admin"
    cert kubelet "/CN=$(node_name)" "IP:127.0.0.1,IP:$ip,DNS:$(node_name)"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
  echo "$ip" >"$pki/done"
  cat >"$kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kstream-local
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $pki/ca.crt
users:
- name: kstream-admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: kstream-local
  context: {cluster: kstream-local, user: kstream-admin}
current-context: kstream-local
EOF
}

write_configs() {
  mkdir -p "$dir/cni/net.d" "$dir/containerd" "$run"
  cat >"$dir/containerd/config.toml" <<EOF
version = 2
root = "$dir/containerd/root"
state = "$run/containerd-state"
[grpc]
  address = "$sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  # The kubelet asks for oom_score_adj -998 (sandboxes) and below; lowering it is denied on
  # these machines ("failed to update /proc/self/oom_score_adj: Permission denied" from
  # runc), so keep every container at or above containerd's own value.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
EOF
  cat >"$dir/cni/net.d/10-kstream.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kstream-local",
  "plugins": [
    {"type": "bridge", "bridge": "kstream-cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$pod_cidr"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
EOF
  cat >"$dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $dir/pki/ca.crt}
authorization: {mode: Webhook}
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
tlsCertFile: $dir/pki/kubelet.crt
tlsPrivateKeyFile: $dir/pki/kubelet.key
cgroupDriver: cgroupfs
# The machine's cgroups are v1 (hybrid); Kubernetes 1.34 still runs there when told so.
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$sock
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
# The imported images are the only copies: never garbage-collect them, and do not evict
# pods because the shared disk is fuller than a dedicated node's would be.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
maxPods: 30
EOF
}

# in_containerd IMAGE: the cluster's containerd has IMAGE. (The list is read whole first:
# with pipefail, `ctr ... | grep -q` fails when grep's early exit breaks ctr's pipe.)
in_containerd() { local images; images="$(ctr -a "$sock" -n k8s.io images ls -q)" && grep -qx "$1" <<<"$images"; }
pause_image_present() { in_containerd "$pause_image"; }

# A sandbox image of one static binary (scripts/local-k8s/pause): no registry to pull from.
import_pause() {
  pause_image_present && return 0
  local t
  t="$(mktemp -d)"
  mkdir -p "$t/root" && cp "$bin/pause" "$t/root/pause"
  tar -C "$t/root" -cf "$t/root.tar" pause
  podman --runtime runc --cgroup-manager cgroupfs import --quiet --change 'ENTRYPOINT ["/pause"]' "$t/root.tar" "$pause_image" >/dev/null
  podman save --quiet --format oci-archive -o "$t/pause.tar" "$pause_image" >/dev/null
  ctr -a "$sock" -n k8s.io images import --base-name "${pause_image%:*}" "$t/pause.tar" >/dev/null
  rm -rf "$t"
  pause_image_present || die "the pause image did not arrive in containerd"
}

cmd_import_image() {
  local image="$1" t
  [ -S "$sock" ] || die "containerd is not running (local-k8s.sh start)"
  t="$(mktemp -d)"
  podman save --quiet --format oci-archive -o "$t/image.tar" "$image" >/dev/null
  ctr -a "$sock" -n k8s.io images import --base-name "${image%:*}" "$t/image.tar" >/dev/null
  rm -rf "$t"
  in_containerd "$image" || die "$image did not arrive in containerd"
  log "$image imported into the cluster's containerd"
}

cmd_start() {
  check_prereqs
  mkdir -p "$dir" "$run"
  make_pki
  write_configs
  local ip name
  ip="$(node_ip)"; name="$(node_name)"
  [ -n "$ip" ] || die "no node address (no default route)"
  # Pods reach Services and the outside through the host: forwarding on, bridged traffic
  # through iptables (kube-proxy's rules).
  sysctl -qw net.ipv4.ip_forward=1
  modprobe br_netfilter 2>/dev/null || true
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] && sysctl -qw net.bridge.bridge-nf-call-iptables=1

  launch etcd etcd --name kstream-local --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
    --initial-cluster "kstream-local=http://127.0.0.1:$((etcd_port + 1))" --listen-metrics-urls "http://127.0.0.1:$((etcd_port + 2))"
  wait_until 60 "etcd healthy" curl -fsS "http://127.0.0.1:$etcd_port/health"

  launch kube-apiserver "$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 0.0.0.0 --advertise-address "$ip" --secure-port "$api_port" \
    --service-cluster-ip-range "$service_cidr" --allow-privileged=true --authorization-mode Node,RBAC \
    --client-ca-file "$dir/pki/ca.crt" --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
    --kubelet-client-certificate "$dir/pki/admin.crt" --kubelet-client-key "$dir/pki/admin.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key"
  wait_until 120 "kube-apiserver ready" "${kubectl[@]}" get --raw /readyz

  launch kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --service-cluster-ip-range "$service_cidr" \
    --service-account-private-key-file "$dir/pki/sa.key" --root-ca-file "$dir/pki/ca.crt" \
    --cluster-signing-cert-file "$dir/pki/ca.crt" --cluster-signing-key-file "$dir/pki/ca.key" \
    --use-service-account-credentials=false
  launch kube-scheduler "$bin/kube-scheduler" --kubeconfig "$kubeconfig" --bind-address 127.0.0.1 --leader-elect=false

  launch containerd containerd --config "$dir/containerd/config.toml"
  wait_until 60 "containerd answering" ctr -a "$sock" version
  import_pause

  launch kubelet "$bin/kubelet" --config "$dir/kubelet.yaml" --kubeconfig "$kubeconfig" \
    --root-dir "$dir/kubelet" --hostname-override "$name" --node-ip "$ip"
  launch kube-proxy "$bin/kube-proxy" --kubeconfig "$kubeconfig" --hostname-override "$name" \
    --proxy-mode iptables --cluster-cidr "$pod_cidr" --conntrack-max-per-core 0 \
    --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256
  wait_until 180 "node $name registered" "${kubectl[@]}" get node "$name"
  "${kubectl[@]}" wait --for=condition=Ready "node/$name" --timeout=180s >/dev/null \
    || die "node $name not Ready: $("${kubectl[@]}" describe node "$name" | sed -n '/Conditions:/,/Addresses:/p')"
  # The default ServiceAccount exists once the controller-manager has made it (pods need it).
  wait_until 60 "default ServiceAccount" "${kubectl[@]}" -n default get serviceaccount default
  log "ready: node $name ($ip), Kubernetes $("${kubectl[@]}" version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -n 1); KUBECONFIG=$kubeconfig"
}

cmd_stop() {
  if alive kube-apiserver && [ -f "$kubeconfig" ]; then
    # Pods first, gracefully (their SIGTERM and grace period), while the kubelet runs.
    "${kubectl[@]}" delete pods --all --all-namespaces --wait=true --timeout=120s >/dev/null 2>&1 || true
  fi
  local c
  for c in kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver; do
    if alive "$c"; then kill "$(cat "$dir/$c.pid")"; fi
  done
  for c in kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver; do
    for _ in $(seq 1 30); do alive "$c" || break; sleep 1; done
    if alive "$c"; then kill -9 "$(cat "$dir/$c.pid")"; fi
    rm -f "$dir/$c.pid"
  done
  # The kubelet bind-mounts its root directory (and pod volumes under it): undo, deepest first.
  local m
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir/kubelet" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
  # kube-proxy's iptables rules go with it.
  "$bin/kube-proxy" --cleanup >/dev/null 2>&1 || true
  # Leftover sandboxes (the pause containers) and their shims.
  if alive containerd; then
    for c in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$sock" -n k8s.io tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
    done
    sleep 1
    for c in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$sock" -n k8s.io tasks rm -f "$c" >/dev/null 2>&1 || true
    done
    for c in $(ctr -a "$sock" -n k8s.io containers ls -q 2>/dev/null); do
      ctr -a "$sock" -n k8s.io containers rm "$c" >/dev/null 2>&1 || true
    done
  fi
  for c in containerd etcd; do
    if alive "$c"; then kill "$(cat "$dir/$c.pid")"; fi
    for _ in $(seq 1 30); do alive "$c" || break; sleep 1; done
    if alive "$c"; then kill -9 "$(cat "$dir/$c.pid")"; fi
    rm -f "$dir/$c.pid"
  done
  log "stopped (state kept in $dir)"
}

cmd_status() {
  local c rc=0
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy; do
    if alive "$c"; then echo "$c: running (pid $(cat "$dir/$c.pid"))"; else echo "$c: stopped"; rc=1; fi
  done
  if alive kube-apiserver; then "${kubectl[@]}" get nodes -o wide || rc=1; fi
  return $rc
}

# CFK's CRDs for the API server, made from the vendored kubeconform schemas: each schema
# becomes the openAPIV3Schema of a CustomResourceDefinition. kubeconform's strictness
# (additionalProperties: false beside properties) is not allowed in a structural schema
# and is dropped; the API server's own strict field validation (kubectl's default
# --validate=strict) refuses unknown fields instead.
cmd_crds() {
  "${kubectl[@]}" get --raw /readyz >/dev/null 2>&1 || die "the API server is not running (local-k8s.sh start)"
  /usr/bin/python3 - "$repo/tests/deploy/schemas/platform.confluent.io" >"$dir/cfk-crds.yaml" <<'PY'
import glob, json, os, sys
import yaml

def structural(node):
    if isinstance(node, dict):
        out = {k: structural(v) for k, v in node.items()}
        if "properties" in out and out.get("additionalProperties") is False:
            del out["additionalProperties"]
        return out
    if isinstance(node, list):
        return [structural(v) for v in node]
    return node

KINDS = {"kafka": "Kafka", "kraftcontroller": "KRaftController", "connect": "Connect", "connector": "Connector",
         "kafkatopic": "KafkaTopic", "ksqldb": "KsqlDB", "controlcenter": "ControlCenter"}
docs = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*_v1beta1.json"))):
    lower = os.path.basename(path).split("_")[0]
    kind = KINDS[lower]
    plural = lower + ("es" if lower.endswith("s") else "s")
    schema = structural(json.load(open(path)))
    schema["properties"]["metadata"] = {"type": "object"}
    docs.append({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.platform.confluent.io"},
        "spec": {"group": "platform.confluent.io", "scope": "Namespaced",
                 "names": {"kind": kind, "listKind": kind + "List", "plural": plural, "singular": lower},
                 "versions": [{"name": "v1beta1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": schema}, "subresources": {"status": {}}}]}})
yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)
PY
  "${kubectl[@]}" apply --server-side --force-conflicts -f "$dir/cfk-crds.yaml" >/dev/null
  "${kubectl[@]}" wait --for=condition=Established --timeout=60s -f "$dir/cfk-crds.yaml" >/dev/null
  log "CFK CRDs established: $("${kubectl[@]}" get crd -o name | grep -c platform.confluent.io) kinds"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  kubeconfig) echo "$kubeconfig" ;;
  import-image) [ -n "${2:-}" ] || die "usage: local-k8s.sh import-image IMAGE"; cmd_import_image "$2" ;;
  crds) cmd_crds ;;
  *) echo "usage: $0 start|stop|status|kubeconfig|import-image IMAGE|crds" >&2; exit 2 ;;
esac
