import { request, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** One GET as the aggregator or the HPA would send it. */
export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
  /** Transport failure (connection refused, TLS, timeout): no HTTP status at all. */
  readonly error?: string;
}

/** The aggregator gives up on a discovery call after 5 s. */
const TIMEOUT_MS = 5_000;

/** GETs paths on the cluster a kubeconfig points at, with its credentials and CA. */
export class Target {
  constructor(
    private readonly kc: KubeConfig,
    readonly server: string,
  ) {}

  async get(path: string, accept = 'application/json, */*'): Promise<Reply> {
    const url = new URL(path, this.server);
    const opts: RequestOptions = { method: 'GET', headers: { accept }, timeout: TIMEOUT_MS };
    await this.kc.applyToHTTPSOptions(opts);
    const started = performance.now();
    return new Promise((resolve) => {
      const done = (r: Omit<Reply, 'ms'>) => resolve({ ...r, ms: Math.round(performance.now() - started) });
      const req = request(url, opts, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)));
      req.on('error', (err) => done({ status: 0, body: '', error: err.message }));
      req.end();
    });
  }
}

/** The message of a metav1.Status body, or the start of whatever came back. */
export function statusMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { kind?: string; reason?: string; message?: string };
    if (s.kind === 'Status') return `${s.reason ?? 'Unknown'}: ${s.message ?? ''}`;
  } catch {
    // not JSON: fall through
  }
  return body.trim().slice(0, 200) || '(empty body)';
}
