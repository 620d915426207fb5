import { X509Certificate } from 'node:crypto';

/**
 * Client certificate verification with the rules of Go's x509.Verify as Kubernetes calls it
 * (KeyUsages = [ClientAuth]): the leaf and every certificate above it inside its validity
 * window, a path through CA certificates to one of the trusted roots (intermediates taken
 * from what the peer presented), and the client-auth usage allowed along the whole path.
 */

/** Which check a certificate failed; `cn` is the front-proxy allowed-names check. */
export type CertCheck = 'ca' | 'usage' | 'expiry' | 'cn';

export type ChainResult =
  | { readonly ok: true; readonly chain: readonly X509Certificate[] }
  | { readonly ok: false; readonly check: CertCheck; readonly reason: string };

export const CLIENT_AUTH_USAGE = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';
const MAX_DEPTH = 8;

export function verifyClientChain(
  leaf: X509Certificate,
  presented: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  now: number = Date.now(),
): ChainResult {
  if (!withinValidity(leaf, now)) {
    return { ok: false, check: 'expiry', reason: `certificate has expired or is not yet valid: valid from ${leaf.validFrom} to ${leaf.validTo}` };
  }
  if (roots.length === 0) return { ok: false, check: 'ca', reason: 'no certificate authority is configured' };
  const chains = roots.some((r) => r.raw.equals(leaf.raw)) ? [[leaf]] : buildChains([leaf], presented, roots, now);
  if (chains.length === 0) return { ok: false, check: 'ca', reason: 'certificate signed by unknown authority' };
  const usable = chains.find((chain) => chain.every(allowsClientAuth));
  if (!usable) return { ok: false, check: 'usage', reason: 'certificate specifies an incompatible key usage (client auth required)' };
  return { ok: true, chain: usable };
}

/** Every path from the last certificate of `chain` to a root; roots are tried before intermediates. */
function buildChains(
  chain: readonly X509Certificate[],
  intermediates: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  now: number,
): X509Certificate[][] {
  const child = chain[chain.length - 1];
  if (!child || chain.length > MAX_DEPTH) return [];
  const found: X509Certificate[][] = [];
  for (const root of roots) {
    if (isParent(root, child, now)) found.push([...chain, root]);
  }
  for (const mid of intermediates) {
    if (chain.some((c) => c.raw.equals(mid.raw)) || !isParent(mid, child, now)) continue;
    found.push(...buildChains([...chain, mid], intermediates, roots, now));
  }
  return found;
}

function isParent(parent: X509Certificate, child: X509Certificate, now: number): boolean {
  return parent.ca && withinValidity(parent, now) && child.checkIssued(parent) && child.verify(parent.publicKey);
}

export function withinValidity(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

/** A certificate without the extended key usage extension is good for any usage, as in Go. */
function allowsClientAuth(cert: X509Certificate): boolean {
  const usages = cert.keyUsage;
  if (!usages || usages.length === 0) return true;
  return usages.includes(CLIENT_AUTH_USAGE) || usages.includes(ANY_USAGE);
}

/** Every certificate of a PEM bundle, in order; other PEM blocks are skipped. */
export function parsePemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}
