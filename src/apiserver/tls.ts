import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface ServingCert {
  readonly cert: string;
  readonly key: string;
  /** True when generated at start-up rather than read from files. */
  readonly selfSigned: boolean;
}

/**
 * Runs in a worker thread: `selfsigned` and the X.509 stack under it (~200 modules, ~9 MB of
 * RSS) are needed once, at start-up, and a module loaded into the adapter's own isolate can
 * never be unloaded. The worker's isolate, with all of it, goes away when it exits.
 */
const GENERATE = `
const { parentPort, workerData } = require('node:worker_threads');
Promise.resolve()
  .then(() => require(workerData.module).generate(workerData.attrs, workerData.options))
  .then(
    (pems) => parentPort.postMessage({ cert: pems.cert, key: pems.private }),
    (err) => parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) }),
  );
`;

/**
 * A self-signed serving certificate valid for the given DNS names and IPs (a year).
 * It is its own CA, so a client that pins it (the standalone kubeconfig, an APIService
 * caBundle) verifies it normally.
 */
export async function selfSignedCert(dnsNames: readonly string[], ips: readonly string[]): Promise<ServingCert> {
  const options = {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...dnsNames.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))],
      },
    ],
  };
  const attrs = [{ name: 'commonName', value: dnsNames[0] ?? 'ai-metrics-adapter' }];
  const pems = await inWorker({ module: createRequire(import.meta.url).resolve('selfsigned'), attrs, options });
  return { ...pems, selfSigned: true };
}

function inWorker(workerData: unknown): Promise<{ cert: string; key: string }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(GENERATE, { eval: true, workerData });
    worker.once('message', (m: { cert?: string; key?: string; error?: string }) => {
      void worker.terminate();
      if (m.cert !== undefined && m.key !== undefined) resolve({ cert: m.cert, key: m.key });
      else reject(new Error(`generating the self-signed serving certificate: ${m.error ?? 'no answer'}`));
    });
    worker.once('error', (err) => reject(new Error(`generating the self-signed serving certificate: ${err.message}`, { cause: err })));
    worker.once('exit', (code) => reject(new Error(`generating the self-signed serving certificate: worker exited (code ${code})`)));
  });
}
