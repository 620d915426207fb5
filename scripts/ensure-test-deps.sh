#!/usr/bin/env bash
# Installs what the test tiers need and is missing: Debian redis-server and prometheus.
# Idempotent: does nothing when they are present. Under CI=true a missing tool that
# cannot be installed is a failure, never a skip.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-test-deps: missing ${need[*]}; install them (sudo apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  echo "ensure-test-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The Debian packages start their own services; the tests start private instances on
# free loopback ports and do not need (or touch) those.
kubectl_bin=$(bash "$(dirname "$0")/find-kubectl.sh" || true)
if [ -z "$kubectl_bin" ]; then
  echo "ensure-test-deps: kubectl 1.33 not found (the google-cloud-cli package ships it as kubectl.1.33)" >&2
  [ "${CI:-}" = "true" ] && exit 1
fi
echo "ensure-test-deps: redis-server $(redis-server --version | awk '{print $3}'), $(prometheus --version 2>&1 | head -1 | awk '{print $1, $3}'), kubectl ${kubectl_bin:-missing}"
