#!/usr/bin/env bash
# Writes ca.crt, tls.crt and tls.key into DIR: a CA and a serving certificate for the
# adapter's Service (SAN <service>.<namespace>.svc), for the manifests/ca-bundle overlay.
# Usage: scripts/gen-serving-cert.sh DIR [NAMESPACE] [SERVICE] [DAYS]
set -euo pipefail
dir=${1:?usage: gen-serving-cert.sh DIR [NAMESPACE] [SERVICE] [DAYS]}
ns=${2:-ai-metrics-adapter}
svc=${3:-ai-metrics-adapter}
days=${4:-365}
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -subj "/CN=${svc}-ca" -keyout "$tmp/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=${svc}.${ns}.svc" \
  -keyout "$dir/tls.key" -out "$tmp/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' \
  "$svc" "$ns" "$svc" "$ns" > "$tmp/ext.cnf"
openssl x509 -req -in "$tmp/tls.csr" -CA "$dir/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial -days "$days" \
  -extfile "$tmp/ext.cnf" -out "$dir/tls.crt" 2>/dev/null
chmod 600 "$dir/tls.key"
echo "wrote $dir/ca.crt $dir/tls.crt $dir/tls.key (SAN ${svc}.${ns}.svc)"
