/**
 * Serving certificates: the files named by --tls-cert-file/--tls-private-key-file are
 * followed, and after a rotation (kubelet's atomic `..data` symlink swap, or a plain
 * overwrite) the next TLS handshake presents the new certificate with no restart. Without
 * files, the self-signed certificate names the Service. TLS 1.2 is the floor.
 */
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { parseConfig } from '../../src/config/index.js';
import { Adapter } from '../../src/serve/adapter.js';
import { silentLogger } from '../../src/util/log.js';
import { eventually } from '../helpers/adapter.js';
import { makeCa, makeLeaf, type Pem } from '../helpers/x509.js';

function handshake(port: number, opts: { maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.once('error', reject);
  });
}

async function startStandalone(dir: string, config: Record<string, unknown>): Promise<Adapter> {
  const cfg = parseConfig({ bindAddress: '127.0.0.1', securePort: 0, httpPort: 0, grpcPort: 0, localDir: join(dir, 'local'), ...config }, 'test');
  const adapter = new Adapter({ config: cfg, access: { mode: 'standalone', why: 'test' }, log: silentLogger });
  await adapter.start();
  return adapter;
}

describe('serving certificate hot reload', function () {
  this.timeout(60_000);
  let dir: string;
  let ca: Pem;
  let adapter: Adapter | undefined;

  const serving = (cn: string) => makeLeaf({ cn, issuer: ca, usage: 'server', dnsNames: ['ai-metrics-adapter.ai-metrics-adapter.svc'], ips: ['127.0.0.1'] });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ama-certs-'));
    ca ??= await makeCa('serving-ca');
  });

  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows a kubelet-style ..data symlink swap (Secret volume, cert-manager renewal)', async () => {
    const first = await serving('first');
    const writeVersion = (name: string, pem: Pem) => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'tls.crt'), pem.cert);
      writeFileSync(join(dir, name, 'tls.key'), pem.key);
    };
    writeVersion('..v1', first);
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'tls.crt'), join(dir, 'tls.crt'));
    symlinkSync(join('..data', 'tls.key'), join(dir, 'tls.key'));
    adapter = await startStandalone(dir, { tlsCertFile: join(dir, 'tls.crt'), tlsPrivateKeyFile: join(dir, 'tls.key') });
    const port = adapter.securePort;
    expect((await handshake(port)).subject.CN).to.equal('first');

    const second = await serving('second');
    writeVersion('..v2', second);
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await eventually(async () => expect((await handshake(port)).subject.CN).to.equal('second'), 5_000, 50);
    expect((await handshake(port)).fingerprint256).to.equal(new X509Certificate(second.cert).fingerprint256);
  });

  it('follows plain overwrites and ignores a half-written pair until it is consistent', async () => {
    const first = await serving('first');
    writeFileSync(join(dir, 'tls.crt'), first.cert);
    writeFileSync(join(dir, 'tls.key'), first.key);
    adapter = await startStandalone(dir, { tlsCertFile: join(dir, 'tls.crt'), tlsPrivateKeyFile: join(dir, 'tls.key') });
    const port = adapter.securePort;

    const second = await serving('second');
    writeFileSync(join(dir, 'tls.crt'), second.cert); // key not replaced yet: mismatched pair
    await new Promise((r) => setTimeout(r, 400));
    expect((await handshake(port)).subject.CN).to.equal('first');
    writeFileSync(join(dir, 'tls.key'), second.key);
    await eventually(async () => expect((await handshake(port)).subject.CN).to.equal('second'), 5_000, 50);
  });

  it('without files, self-signs for <service>.<namespace>.svc (and loopback)', async () => {
    adapter = await startStandalone(dir, { serviceName: 'metrics-adapter', serviceNamespace: 'monitoring' });
    const cert = new X509Certificate(adapter.servingCertPem);
    expect(cert.subjectAltName).to.include('DNS:metrics-adapter.monitoring.svc');
    expect(cert.subjectAltName).to.include('IP Address:127.0.0.1');
    expect(cert.checkHost('metrics-adapter.monitoring.svc')).to.equal('metrics-adapter.monitoring.svc');
    expect((await handshake(adapter.securePort)).fingerprint256).to.equal(cert.fingerprint256);
  });

  it('refuses TLS below 1.2', async () => {
    adapter = await startStandalone(dir, {});
    let failed = false;
    try {
      await handshake(adapter.securePort, { maxVersion: 'TLSv1.1' });
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    expect((await handshake(adapter.securePort, { maxVersion: 'TLSv1.2' })).subject).to.be.an('object');
  });
});
