/**
 * The adapter in cluster mode, in this process, against a FakeKubeApiServer: real HTTPS
 * listener with delegated authn/authz, on loopback ports chosen by the OS. Log lines are
 * captured so tests can see which authentication check failed.
 */
import { request } from 'node:https';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/index.js';
import { Adapter } from '../../src/serve/adapter.js';
import type { FakeKubeApiServer } from './fake-kube-apiserver.js';
import type { Pem } from './x509.js';

export interface ClusterAdapter {
  readonly adapter: Adapter;
  readonly port: number;
  /** PEM of the adapter's (self-signed) serving certificate. */
  readonly ca: string;
  /** Captured JSON log lines. */
  readonly logs: Record<string, unknown>[];
  get(path: string, opts?: GetOptions): Promise<Reply>;
  stop(): Promise<void>;
}

export interface GetOptions {
  /** Client certificate; `chain` is sent after it (intermediates). */
  readonly cert?: Pem & { readonly chain?: readonly string[] };
  readonly headers?: Record<string, string | string[]>;
}

export interface Reply {
  readonly status: number;
  readonly text: string;
  readonly json: unknown;
}

export async function startClusterAdapter(kube: FakeKubeApiServer, config: Record<string, unknown> = {}): Promise<ClusterAdapter> {
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const cfg = parseConfig(
    { bindAddress: '127.0.0.1', securePort: 0, httpPort: 0, grpcPort: 0, logLevel: 'debug', ...config, auth: { configMapRefreshSeconds: 0.25, ...(config.auth as object) } },
    'test',
  );
  const adapter = new Adapter({ config: cfg, access: { mode: 'cluster', kubeConfig: kube.kubeConfig(), origin: 'test' }, log });
  await adapter.start();
  const port = adapter.securePort;
  const ca = adapter.servingCertPem;
  const get = (path: string, opts: GetOptions = {}) =>
    new Promise<Reply>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1', port, path, method: 'GET', ca, agent: false,
          headers: { accept: 'application/json', ...opts.headers },
          ...(opts.cert ? { cert: [opts.cert.cert, ...(opts.cert.chain ?? [])].join('\n'), key: opts.cert.key } : {}),
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, text, json });
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  return { adapter, port, ca, logs, get, stop: () => adapter.stop() };
}
