/**
 * The ceiling: a minimal Node HTTPS server in its own process, with the same kind of
 * certificate as the adapter (self-signed EC P-256, same generator), answering each
 * configured path with a static body (the adapter's own answer, byte for byte).
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCert } from '../../src/apiserver/index.js';
import { serveParent } from './child.js';

export interface CeilingStart {
  /** Path (with query) → body. */
  readonly routes: Record<string, string>;
}

export interface CeilingInfo {
  readonly port: number;
  readonly ca: string;
}

serveParent<CeilingStart, CeilingInfo>(async ({ routes }) => {
  const bodies = new Map(Object.entries(routes).map(([path, body]) => [path, Buffer.from(body)]));
  const cert = await selfSignedCert(['localhost'], ['127.0.0.1']);
  const server = createServer({ cert: cert.cert, key: cert.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const body = bodies.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }).end(body);
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, ca: cert.cert };
});
