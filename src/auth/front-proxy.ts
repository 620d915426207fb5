import type { IncomingMessage } from 'node:http';
import type { RequestHeaderConfig } from './auth-config.js';
import { verifyClientChain } from './cert-chain.js';
import { parseSubject } from './distinguished-name.js';
import { SKIP, type AuthnOutcome } from './outcome.js';
import type { PeerCertificates } from './peer-certificates.js';

/**
 * The front proxy (kube-apiserver's aggregator): only after its client certificate verifies
 * against the request header CA, allows client auth, is within its validity window and has
 * an allowed CN are the X-Remote-* headers taken as the user (headerrequest + x509.Verifier
 * in k8s.io/apiserver).
 */
export function authenticateFrontProxy(
  config: RequestHeaderConfig | undefined,
  peer: PeerCertificates | undefined,
  headers: IncomingMessage['headersDistinct'],
  now: number = Date.now(),
): AuthnOutcome {
  if (!config || !peer) return SKIP;
  const { commonName } = parseSubject(peer.leaf.subject);
  const verified = verifyClientChain(peer.leaf, peer.others, config.roots, now);
  if (!verified.ok) return { kind: 'fail', source: 'front-proxy', check: verified.check, reason: verified.reason, subject: peer.leaf.subject };
  if (config.allowedNames.length > 0 && !config.allowedNames.includes(commonName)) {
    return { kind: 'fail', source: 'front-proxy', check: 'cn', reason: `subject with cn=${commonName} is not in the allowed list`, subject: peer.leaf.subject };
  }
  const name = firstValue(headers, config.usernameHeaders);
  // A verified proxy that names no user leaves the request to the other authenticators.
  if (name === '') return SKIP;
  const uid = firstValue(headers, config.uidHeaders);
  const groups = config.groupHeaders.flatMap((h) => (headers[h] ?? []).filter((v) => v !== ''));
  return { kind: 'user', source: 'front-proxy', user: { name, ...(uid === '' ? {} : { uid }), groups, extra: extraValues(headers, config.extraHeaderPrefixes) } };
}

/** The first header (in the configured order) with a non-empty first value. */
function firstValue(headers: IncomingMessage['headersDistinct'], names: readonly string[]): string {
  for (const n of names) {
    const v = headers[n]?.[0];
    if (v) return v;
  }
  return '';
}

/** `X-Remote-Extra-<key>`: key lower-cased then %-unescaped (`%2F` → `/`); values in header order. */
function extraValues(headers: IncomingMessage['headersDistinct'], prefixes: readonly string[]): Record<string, string[]> {
  const extra: Record<string, string[]> = {};
  for (const prefix of prefixes) {
    for (const [header, values] of Object.entries(headers)) {
      if (!header.startsWith(prefix) || !values) continue;
      const key = unescapeKey(header.slice(prefix.length));
      (extra[key] ??= []).push(...values);
    }
  }
  return extra;
}

function unescapeKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key; // Go keeps a malformed key as it came.
  }
}

/** Removes every header the front proxy may set, so nothing downstream can mistake them for identity. */
export function stripIdentityHeaders(req: IncomingMessage, config: RequestHeaderConfig | undefined): void {
  const names = config ? [...config.usernameHeaders, ...config.uidHeaders, ...config.groupHeaders] : ['x-remote-user', 'x-remote-group', 'x-remote-uid'];
  const prefixes = config?.extraHeaderPrefixes ?? ['x-remote-extra-'];
  for (const h of Object.keys(req.headers)) {
    if (names.includes(h) || prefixes.some((p) => h.startsWith(p))) delete req.headers[h];
  }
}
