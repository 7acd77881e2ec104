#!/usr/bin/env bash
# Builds the control plane envtest runs against, into .bin/, unless it is
# there: kube-apiserver from the k8s.io/kubernetes Go module (tools/kube-apiserver,
# a wrapper module that replaces each staging module with its release) and
# etcd from go.etcd.io/etcd/server/v3 (tools/etcd). Nothing is downloaded
# but Go modules. Cold, on 2 cores: about 9 minutes; a second run does nothing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.bin"
K8S_VERSION=v1.37.2
ETCD_VERSION=3.7.3
mkdir -p "$bin"
if ! "$bin/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes $K8S_VERSION"; then
  (cd "$root/tools/kube-apiserver" && go build \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" \
    -o "$bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
fi
if ! "$bin/etcd" --version 2>/dev/null | grep -qx "etcd Version: $ETCD_VERSION"; then
  (cd "$root/tools/etcd" && go build -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
fi
