/**
 * `ai-metrics-adapter serve --kubeconfig …` as a process, in cluster mode against the
 * kube-apiserver stand-in, read with kubectl 1.33 (a Go TLS client): a client-CA certificate
 * user and a TokenReview token get through, a certificate from an unknown CA gets 401, and
 * readiness waits for the authentication ConfigMap.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { FakeKubeApiServer } from '../helpers/fake-kube-apiserver.js';
import { eventually } from '../helpers/adapter.js';
import { kubectl } from '../helpers/kubectl.js';
import { freePort } from '../helpers/ports.js';
import { makeCa, makeLeaf, type Pem } from '../helpers/x509.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('serve in cluster mode (process, kubectl as the client)', function () {
  this.timeout(60_000);
  let kube: FakeKubeApiServer;
  let dir: string;
  let child: ChildProcess | undefined;
  let out = '';
  let securePort: number;
  let httpPort: number;
  let clientCa: Pem;
  let servingCa: Pem;

  /** A kubeconfig that points kubectl at the adapter (trusting its serving CA) as the given user. */
  function userKubeconfig(name: string, user: Record<string, string>): string {
    const file = join(dir, `${name}.kubeconfig`);
    writeFileSync(file, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'a',
      clusters: [{ name: 'a', cluster: { server: `https://127.0.0.1:${securePort}`, 'certificate-authority-data': b64(servingCa.cert) } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'a', context: { cluster: 'a', user: 'u' } }],
    }));
    return file;
  }

  before(async () => {
    kube = await FakeKubeApiServer.start();
    dir = mkdtempSync(join(tmpdir(), 'ama-cluster-'));
    clientCa = await makeCa('kubernetes-client-ca');
    servingCa = await makeCa('adapter-serving-ca');
    const serving = await makeLeaf({ cn: 'ai-metrics-adapter.ai-metrics-adapter.svc', issuer: servingCa, usage: 'server', dnsNames: ['ai-metrics-adapter.ai-metrics-adapter.svc'], ips: ['127.0.0.1'] });
    writeFileSync(join(dir, 'tls.crt'), serving.cert);
    writeFileSync(join(dir, 'tls.key'), serving.key);
    const kc = kube.kubeConfig();
    writeFileSync(join(dir, 'adapter.kubeconfig'), kc.exportConfig());
    // The ConfigMap is not readable yet: readiness must say so.
    kube.configMapStatus = 403;
    kube.configMap = { 'requestheader-client-ca-file': (await makeCa('front-proxy-ca')).cert, 'requestheader-allowed-names': '["front-proxy-client"]', 'client-ca-file': clientCa.cert };
    kube.sarPolicy = (spec) => ({ allowed: spec.user === 'bob' || spec.user === 'carol', reason: 'RBAC: not bound' });
    kube.tokens.set('carol-token', { username: 'carol', groups: ['devs'] });
    [securePort, httpPort] = [await freePort(), await freePort()];
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, stringify({ securePort, httpPort, grpcPort: await freePort(), bindAddress: '127.0.0.1', logLevel: 'debug', auth: { configMapRefreshSeconds: 0.3 } }));
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--kubeconfig', join(dir, 'adapter.kubeconfig'), '--config', configFile,
        '--tls-cert-file', join(dir, 'tls.crt'), '--tls-private-key-file', join(dir, 'tls.key')],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: undefined, KUBECONFIG: undefined } },
    );
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    await eventually(async () => expect(out).to.contain('"msg":"serving"'), 20_000, 100);
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await kube?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs in cluster mode and is not ready until the authentication ConfigMap is read', async () => {
    expect(out).to.contain('"mode":"cluster"');
    const r = await fetch(`http://127.0.0.1:${httpPort}/readyz?verbose`);
    expect(r.status).to.equal(500);
    expect(await r.text()).to.contain('[-]authentication-config failed');
    expect(out).to.contain('extension-apiserver-authentication-reader');
    kube.configMapStatus = undefined;
    await eventually(async () => expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).to.equal(200), 10_000, 100);
  });

  it('kubectl with a client-CA certificate (user = CN, groups = O) gets through delegated authorization', async () => {
    const bob = await makeLeaf({ cn: 'bob', orgs: ['team-a'], issuer: clientCa, usage: 'client' });
    const kc = userKubeconfig('bob', { 'client-certificate-data': b64(bob.cert), 'client-key-data': b64(bob.key) });
    await eventually(async () => {
      const r = await kubectl(kc, ['get', '--raw', '/apis/custom.metrics.k8s.io/v1beta2']);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.include({ kind: 'APIResourceList' });
    }, 10_000, 200);
    expect(kube.subjectAccessReviews.some((s) => s.user === 'bob' && JSON.stringify(s.groups) === '["team-a","system:authenticated"]')).to.equal(true);
  });

  it('kubectl with a bearer token goes through TokenReview; an unknown CA or a denied user fails', async () => {
    const carol = userKubeconfig('carol', { token: 'carol-token' });
    const ok = await kubectl(carol, ['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1']);
    expect(ok.code, ok.stderr).to.equal(0);

    const stranger = await makeLeaf({ cn: 'bob', issuer: await makeCa('some-other-ca'), usage: 'client' });
    const bad = await kubectl(userKubeconfig('stranger', { 'client-certificate-data': b64(stranger.cert), 'client-key-data': b64(stranger.key) }), ['get', '--raw', '/apis']);
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.match(/Unauthorized/);

    const dave = await makeLeaf({ cn: 'dave', issuer: clientCa, usage: 'client' });
    const denied = await kubectl(userKubeconfig('dave', { 'client-certificate-data': b64(dave.cert), 'client-key-data': b64(dave.key) }), [
      'get', '--raw', '/apis/external.metrics.k8s.io/v1beta1/namespaces/ml/redis_queue_depth',
    ]);
    expect(denied.code).to.not.equal(0);
    expect(denied.stderr).to.contain(
      'redis_queue_depth.external.metrics.k8s.io is forbidden: User "dave" cannot list resource "redis_queue_depth" in API group "external.metrics.k8s.io" in the namespace "ml": RBAC: not bound',
    );
  });
});
