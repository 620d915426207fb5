#!/usr/bin/env bash
# Prints the path of a kubectl 1.33 client: $KUBECTL, kubectl.1.33 on PATH, or the copy
# the google-cloud-cli package ships (plain `kubectl` there is a version dispatcher).
set -euo pipefail
for c in "${KUBECTL:-}" "$(command -v kubectl.1.33 || true)" /usr/lib/google-cloud-sdk/bin/kubectl.1.33; do
  if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; exit 0; fi
done
exit 1
