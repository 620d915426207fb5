import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket, type DetailedPeerCertificate } from 'node:tls';

/** What the TLS peer presented: its certificate and the others it sent along (candidate intermediates). */
export interface PeerCertificates {
  readonly leaf: X509Certificate;
  readonly others: readonly X509Certificate[];
}

/** Parsed once per connection: keep-alive connections carry many requests. */
const byConnection = new WeakMap<TLSSocket, PeerCertificates | null>();

export function peerCertificates(socket: Socket): PeerCertificates | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const cached = byConnection.get(socket);
  if (cached !== undefined) return cached ?? undefined;
  const parsed = parse(socket);
  byConnection.set(socket, parsed ?? null);
  return parsed;
}

function parse(socket: TLSSocket): PeerCertificates | undefined {
  // Node (20) links the certificates the peer sent through issuerCertificate only on the first
  // peer-certificate call of a server-side socket (getPeerX509Certificate counts), so this is
  // the one call, and the leaf comes from it too. A self-signed certificate points at itself.
  const detailed = socket.getPeerCertificate(true);
  if (!detailed?.raw) return undefined;
  const leaf = new X509Certificate(detailed.raw);
  const others: X509Certificate[] = [];
  const seen = new Set<string>([leaf.fingerprint256]);
  let next: DetailedPeerCertificate | undefined = detailed.issuerCertificate;
  while (next?.raw && others.length < 10) {
    const cert = new X509Certificate(next.raw);
    if (seen.has(cert.fingerprint256)) break;
    seen.add(cert.fingerprint256);
    others.push(cert);
    next = next.issuerCertificate;
  }
  return { leaf, others };
}
