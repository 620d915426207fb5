#!/usr/bin/env bash
# Re-pins test/e2e/kube (the e2e control plane) to another Kubernetes patch or minor release:
#   bash scripts/bump-kube.sh v1.36.5
# Rewrites go.mod from scratch: the replace block maps every staging module that
# k8s.io/kubernetes requires at v0.0.0 to its v0.Y.Z tag, the `tool` lines pull in
# kube-apiserver, kube-controller-manager and the etcd server release that k8s.io/kubernetes
# itself requires; then `go mod tidy`. Review and commit go.mod + go.sum; the next
# scripts/build-kube.sh builds into a new cache directory.
set -euo pipefail

version=${1:?usage: bump-kube.sh vX.Y.Z}
[[ $version =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { echo "bump-kube: expected vX.Y.Z, got $version" >&2; exit 1; }
staging="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
mod="$(cd "$(dirname "$0")/.." && pwd)/test/e2e/kube"
cd "$mod"

upstream=$(go mod download -json "k8s.io/kubernetes@$version" | sed -nE 's/^\s*"GoMod": "(.*)",?$/\1/p')
[ -f "$upstream" ] || { echo "bump-kube: cannot fetch k8s.io/kubernetes@$version from the module proxy" >&2; exit 1; }
go_line=$(awk '$1 == "go" { print $2; exit }' "$upstream")
godebug=$(awk '$1 == "godebug" { print $2; exit }' "$upstream")
etcd=$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$upstream")
echo "bump-kube: k8s.io/kubernetes $version (go $go_line, $godebug), staging $staging, etcd $etcd"

{
  echo '// Builds etcd, kube-apiserver and kube-controller-manager for the end-to-end tests'
  echo '// (scripts/build-kube.sh). Nothing here is imported by the adapter; the binaries are'
  echo '// cached outside the repository and never committed. Regenerate with scripts/bump-kube.sh.'
  echo 'module ai-metrics-adapter.invalid/test/e2e/kube'
  echo
  echo "go $go_line"
  echo
  [ -n "$godebug" ] && { echo "godebug $godebug"; echo; }
  echo '// k8s.io/kubernetes requires its staging modules at v0.0.0 and points them into its own'
  echo '// tree with replace lines that Go ignores in a dependency: map each one to its tag.'
  echo 'replace ('
  grep -E '^\s+k8s\.io/[a-z-]+ v0\.0\.0$' "$upstream" | awk -v v="$staging" '{ printf "\t%s => %s %s\n", $1, $1, v }'
  echo ')'
} >go.mod
: >go.sum
go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$version" "k8s.io/kubernetes/cmd/kube-controller-manager@$version" \
  "go.etcd.io/etcd/server/v3@$etcd"
go mod tidy
echo "bump-kube: done; now run scripts/build-kube.sh and the e2e tests"
