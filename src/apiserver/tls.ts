import { generate } from 'selfsigned';

export interface ServingCert {
  readonly cert: string;
  readonly key: string;
  /** True when generated at start-up rather than read from files. */
  readonly selfSigned: boolean;
}

/**
 * A self-signed serving certificate valid for the given DNS names and IPs (a year).
 * It is its own CA, so a client that pins it (the standalone kubeconfig, an APIService
 * caBundle) verifies it normally.
 */
export async function selfSignedCert(dnsNames: readonly string[], ips: readonly string[]): Promise<ServingCert> {
  const notAfterDate = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: dnsNames[0] ?? 'ai-metrics-adapter' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...dnsNames.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private, selfSigned: true };
}
