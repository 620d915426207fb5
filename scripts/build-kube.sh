#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager for the end-to-end tests from the Go
# module proxy (module test/e2e/kube: go.mod pins the release) into a cache outside the repository:
#   ${AMA_KUBE_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-metrics-adapter/kube-<version>}
# A cache whose stamp matches go.mod, go.sum and these build flags is reused (warm: ~1 s).
# Idempotent and safe to run concurrently (flock). Go's own caches (GOMODCACHE, GOCACHE) stay in
# their default places so later builds are warm too.
#
# Without Go: prints a loud skip line and exits 0, or fails under CI=true. `--print-dir` prints
# the cache directory and exits. Tunables: AMA_KUBE_GOMAXPROCS (default 2), AMA_KUBE_NICE
# (default 19), AMA_KUBE_REBUILD=1 to rebuild a valid cache.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mod="$root/test/e2e/kube"
say() { echo "build-kube: $*"; }

# Versions come from go.mod: one place to bump (see docs/e2e.md).
kube_version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2; exit }' "$mod/go.mod")
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" && $2 ~ /^v3\./ { print $2; exit }' "$mod/go.mod")
if [ -z "$kube_version" ] || [ -z "$etcd_version" ]; then
  say "cannot read the k8s.io/kubernetes or etcd version from $mod/go.mod" >&2
  exit 1
fi
dir=${AMA_KUBE_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-metrics-adapter/kube-$kube_version}

if [ "${1:-}" = "--print-dir" ]; then
  echo "$dir"
  exit 0
fi

loud_skip() {
  local line='!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'
  printf '%s\n!!! SKIPPING the end-to-end tier (real kube-apiserver): %s\n!!! Install Go >= 1.26 to run it; under CI=true this is a failure.\n%s\n' \
    "$line" "$1" "$line" >&2
}

go_ok=""
if command -v go >/dev/null 2>&1; then
  go_minor=$(go env GOVERSION | sed -nE 's/^go1\.([0-9]+).*/\1/p')
  if [ -n "$go_minor" ] && [ "$go_minor" -ge 26 ]; then go_ok=1; fi
fi
if [ -z "$go_ok" ]; then
  why="Go >= 1.26 not found (have: $(command -v go >/dev/null 2>&1 && go env GOVERSION || echo none))"
  if [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kube-controller-manager" ] && [ -x "$dir/etcd" ]; then
    say "$why; using the binaries already in $dir unchecked"
    exit 0
  fi
  if [ "${CI:-}" = "true" ]; then
    say "$why; CI=true, so this is a failure" >&2
    exit 1
  fi
  loud_skip "$why"
  exit 0
fi

minor=$(echo "$kube_version" | cut -d. -f2)
ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $p.gitVersion=$kube_version -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ldflags="$ldflags -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z -X $p.gitCommit="
done
flags=(-trimpath -buildvcs=false -ldflags "$ldflags")
stamp_want=$(cat "$mod/go.mod" "$mod/go.sum" <(go env GOVERSION GOOS GOARCH) <(printf '%s\n' "${flags[@]}") | sha256sum | cut -c1-64)

binaries=(etcd kube-apiserver kube-controller-manager)
valid() {
  [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp_want" ] || return 1
  for b in "${binaries[@]}"; do [ -x "$dir/$b" ] || return 1; done
}

mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
if [ "${AMA_KUBE_REBUILD:-}" != "1" ] && valid; then
  say "reusing $dir ($kube_version, etcd $etcd_version)"
  exit 0
fi

procs=${AMA_KUBE_GOMAXPROCS:-2}
say "building Kubernetes $kube_version (kube-apiserver, kube-controller-manager) and etcd $etcd_version"
say "  module $mod -> $dir"
say "  go $(go env GOVERSION), GOMAXPROCS=$procs, nice ${AMA_KUBE_NICE:-19}, GOMODCACHE=$(go env GOMODCACHE), GOCACHE=$(go env GOCACHE)"
say "  a cold build takes tens of minutes on 2 cores; later runs reuse the result"
start=$(date +%s)
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cd "$mod"
export CGO_ENABLED=0 GOMAXPROCS="$procs" GOFLAGS="${GOFLAGS:-} -mod=readonly"
run() { nice -n "${AMA_KUBE_NICE:-19}" go "$@"; }
run mod download
say "  modules ready after $(($(date +%s) - start)) s"
run build "${flags[@]}" -o "$tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
run build "${flags[@]}" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
echo "$stamp_want" >"$tmp/.stamp"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT

say "built in $(($(date +%s) - start)) s:"
for b in "${binaries[@]}"; do say "  $(du -h "$dir/$b" | cut -f1)	$dir/$b"; done
say "  $("$dir/kube-apiserver" --version) / $("$dir/kube-controller-manager" --version) / etcd $("$dir/etcd" --version | sed -nE 's/^etcd Version: //p')"
