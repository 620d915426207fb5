/**
 * Transport security of the KEDA scaler: mutual TLS through the `serve` flags (what a
 * TriggerAuthentication with caCert/tlsClientCert/tlsClientKey gives KEDA), server-only
 * TLS (KEDA's `enableTLS: "true"` with the CA in its --ca-dir), and the flag checks.
 * Certificates are generated per run: a CA, a server certificate for localhost/127.0.0.1,
 * a client certificate, and a client certificate from an unrelated CA.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { generate } from 'selfsigned';
import { startAdapter, type AdapterProcess } from '../helpers/adapter.js';
import { ScalerClient, ref, rpcError } from '../helpers/keda-client.js';
import { KedaGrpcServer } from '../../src/keda/index.js';
import { MetricStore, Catalog, builtinCatalog } from '../../src/store/index.js';
import { StoreProvider } from '../../src/provider/index.js';
import { resolveResource } from '../../src/apiserver/index.js';
import { silentLogger } from '../../src/util/log.js';

interface Pem {
  cert: string;
  key: string;
}

async function ca(cn: string): Promise<Pem> {
  const p = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec', algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, digitalSignature: true }],
  });
  return { cert: p.cert, key: p.private };
}

async function leaf(issuer: Pem, cn: string, usage: 'server' | 'client'): Promise<Pem> {
  const p = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec', algorithm: 'sha256', ca: issuer,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      usage === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
      ...(usage === 'server' ? [{ name: 'subjectAltName' as const, altNames: [{ type: 2 as const, value: 'localhost' }, { type: 7 as const, ip: '127.0.0.1' }] }] : []),
    ],
  });
  return { cert: p.cert, key: p.private };
}

const trigger = ref({ metric: 'redis_queue_depth', queueName: 'q', targetValue: '5' });

describe('KEDA scaler TLS and mutual TLS', function () {
  this.timeout(60_000);
  let dir: string;
  let authority: Pem;
  let server: Pem;
  let goodClient: Pem;
  let rogueClient: Pem;
  let adapter: AdapterProcess;
  const clients: ScalerClient[] = [];

  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const tlsClient = (port: number, client?: Pem) => {
    const c = new ScalerClient(
      `127.0.0.1:${port}`,
      credentials.createSsl(Buffer.from(authority.cert), client ? Buffer.from(client.key) : null, client ? Buffer.from(client.cert) : null),
      // Verify the name KEDA would use (a DNS name in the SANs), not the loopback IP.
      { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' },
    );
    clients.push(c);
    return c;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ama-keda-tls-'));
    authority = await ca('ai-metrics-adapter test CA');
    server = await leaf(authority, 'localhost', 'server');
    goodClient = await leaf(authority, 'keda-operator', 'client');
    rogueClient = await leaf(await ca('someone else'), 'keda-operator', 'client');
    adapter = await startAdapter({ bullmq: { urls: [] } }, [
      '--grpc-tls-cert-file', file('tls.crt', server.cert),
      '--grpc-tls-key-file', file('tls.key', server.key),
      '--grpc-client-ca-file', file('ca.crt', authority.cert),
    ]);
  });

  after(async () => {
    for (const c of clients) c.close();
    await adapter?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mTLS: a client certificate from the client CA is served (health and ExternalScaler)', async () => {
    const c = tlsClient(adapter.grpcPort, goodClient);
    expect(await c.check('')).to.deep.equal({ status: 'SERVING' });
    expect((await c.getMetricSpec(trigger)).metricSpecs[0]?.metricName).to.equal('redis-queue-depth-q');
  });

  it('mTLS: no client certificate, a certificate from another CA, or plaintext are refused', async () => {
    for (const c of [tlsClient(adapter.grpcPort), tlsClient(adapter.grpcPort, rogueClient), new ScalerClient(`127.0.0.1:${adapter.grpcPort}`)]) {
      clients.push(c);
      const err = await rpcError(c.getMetricSpec(trigger, 2_000));
      expect(err.code).to.be.oneOf([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);
    }
  });

  it('server TLS without a client CA: any client that trusts the server CA is served', async () => {
    const store = new MetricStore(new Catalog(builtinCatalog()));
    const keda = new KedaGrpcServer({
      store, provider: new StoreProvider({ store, resolveResource }), log: silentLogger,
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
    });
    const port = await keda.start('127.0.0.1', 0);
    try {
      expect(await tlsClient(port).check('')).to.deep.equal({ status: 'SERVING' });
    } finally {
      await keda.stop();
    }
  });

  it('refuses half a TLS configuration at start-up, naming the flags', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--standalone', ...args], { encoding: 'utf8', timeout: 20_000 });
    const onlyCert = run('--grpc-tls-cert-file', join(dir, 'tls.crt'));
    expect(onlyCert.status).to.not.equal(0);
    expect(onlyCert.stderr).to.match(/--grpc-tls-cert-file and --grpc-tls-key-file must be given together/);
    const onlyCa = run('--grpc-client-ca-file', join(dir, 'ca.crt'));
    expect(onlyCa.status).to.not.equal(0);
    expect(onlyCa.stderr).to.match(/--grpc-client-ca-file needs --grpc-tls-cert-file/);
    const badPort = run('--grpc-port', 'grpc');
    expect(badPort.status).to.not.equal(0);
    expect(badPort.stderr).to.match(/--grpc-port must be a port number/);
  });
});
