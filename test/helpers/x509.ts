/**
 * Real X.509 material for TLS tests, generated with the selfsigned package (EC P-256):
 * CAs, intermediates and leaf certificates with chosen usages, names and validity windows.
 */
import { generate } from 'selfsigned';

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

const HOUR = 3600_000;

export interface CaOptions {
  /** Signs this CA (an intermediate) instead of it signing itself. */
  readonly issuer?: Pem;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export async function makeCa(cn: string, opts: CaOptions = {}): Promise<Pem> {
  const pems = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: opts.notBefore ?? new Date(Date.now() - HOUR),
    notAfterDate: opts.notAfter ?? new Date(Date.now() + 24 * HOUR),
    ...(opts.issuer ? { ca: { cert: opts.issuer.cert, key: opts.issuer.key } } : {}),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface LeafOptions {
  readonly cn: string;
  /** Organizations (O): the groups of a client-certificate user. */
  readonly orgs?: readonly string[];
  readonly issuer: Pem;
  /** Extended key usage; `none` leaves the extension out. */
  readonly usage: 'client' | 'server' | 'both' | 'none';
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
}

export async function makeLeaf(opts: LeafOptions): Promise<Pem> {
  const eku =
    opts.usage === 'none'
      ? []
      : [{ name: 'extKeyUsage' as const, clientAuth: opts.usage !== 'server', serverAuth: opts.usage !== 'client' }];
  const san =
    (opts.dnsNames?.length ?? 0) + (opts.ips?.length ?? 0) === 0
      ? []
      : [
          {
            name: 'subjectAltName' as const,
            altNames: [...(opts.dnsNames ?? []).map((value) => ({ type: 2 as const, value })), ...(opts.ips ?? []).map((ip) => ({ type: 7 as const, ip }))],
          },
        ];
  const pems = await generate(
    [{ name: 'commonName', value: opts.cn }, ...(opts.orgs ?? []).map((value) => ({ name: 'organizationName', value }))],
    {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate: opts.notBefore ?? new Date(Date.now() - HOUR),
      notAfterDate: opts.notAfter ?? new Date(Date.now() + 24 * HOUR),
      ca: { cert: opts.issuer.cert, key: opts.issuer.key },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        ...eku,
        ...san,
      ],
    },
  );
  return { cert: pems.cert, key: pems.private };
}
