/**
 * Transport security of the scaler: plaintext h2c (KEDA's default), server TLS, or mutual
 * TLS with a client CA. KEDA verifies the server certificate against the host of
 * `scalerAddress`, so its SANs must contain that Service DNS name.
 */
import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import { errorMessage } from '../util/errors.js';

export interface ScalerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mTLS). */
  readonly clientCaFile?: string;
}

export function serverCredentials(tls: ScalerTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const cert = read(tls.certFile, 'certificate');
  const key = read(tls.keyFile, 'key');
  const ca = tls.clientCaFile !== undefined ? read(tls.clientCaFile, 'client CA') : null;
  return ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`gRPC TLS ${what} ${file}: ${errorMessage(err)}`, { cause: err });
  }
}
