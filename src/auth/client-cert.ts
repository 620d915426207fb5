import type { X509Certificate } from 'node:crypto';
import { verifyClientChain } from './cert-chain.js';
import { parseSubject } from './distinguished-name.js';
import { SKIP, type AuthnOutcome } from './outcome.js';
import type { PeerCertificates } from './peer-certificates.js';

/** A client certificate from the client CA: user = CN, groups = O (Go's CommonNameUserConversion). */
export function authenticateClientCert(
  roots: readonly X509Certificate[],
  peer: PeerCertificates | undefined,
  now: number = Date.now(),
): AuthnOutcome {
  if (!peer || roots.length === 0) return SKIP;
  const verified = verifyClientChain(peer.leaf, peer.others, roots, now);
  if (!verified.ok) return { kind: 'fail', source: 'client-cert', check: verified.check, reason: verified.reason, subject: peer.leaf.subject };
  const { commonName, organizations } = parseSubject(peer.leaf.subject);
  if (commonName === '') return SKIP;
  return { kind: 'user', source: 'client-cert', user: { name: commonName, groups: organizations, extra: {} } };
}
