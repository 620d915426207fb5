/**
 * Delegated authentication of the HTTPS metrics API in cluster mode, with real X.509: the
 * front-proxy certificate is verified (CA, client-auth usage, validity, allowed CN) before
 * X-Remote-* headers count; client-CA users and TokenReview tokens; 401 Status otherwise;
 * the front-proxy CA rotates through the ConfigMap without a restart.
 */
import { expect } from 'chai';
import { FakeKubeApiServer, type SarSpecRecord } from '../helpers/fake-kube-apiserver.js';
import { startClusterAdapter, type ClusterAdapter } from '../helpers/cluster-adapter.js';
import { eventually } from '../helpers/adapter.js';
import { makeCa, makeLeaf, type Pem } from '../helpers/x509.js';

const DISCOVERY = '/apis/custom.metrics.k8s.io/v1beta2';
const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
const HOUR = 3600_000;

function authConfigMap(frontProxyCa: string, clientCa: string): Record<string, string> {
  return {
    'requestheader-client-ca-file': frontProxyCa,
    'requestheader-allowed-names': '["front-proxy-client"]',
    'requestheader-username-headers': '["X-Remote-User"]',
    'requestheader-group-headers': '["X-Remote-Group"]',
    'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
    'client-ca-file': clientCa,
  };
}

describe('delegated authentication (cluster mode, real certificates)', function () {
  this.timeout(60_000);
  let kube: FakeKubeApiServer;
  let api: ClusterAdapter;
  let frontProxyCa: Pem;
  let clientCa: Pem;
  let frontProxy: Pem;

  const lastReview = (): SarSpecRecord | undefined => kube.subjectAccessReviews[kube.subjectAccessReviews.length - 1];
  const failureLogs = () => api.logs.filter((l) => l.msg === 'authentication failed');

  before(async () => {
    kube = await FakeKubeApiServer.start();
    frontProxyCa = await makeCa('front-proxy-ca');
    clientCa = await makeCa('kubernetes-client-ca');
    frontProxy = await makeLeaf({ cn: 'front-proxy-client', issuer: frontProxyCa, usage: 'client' });
    kube.configMap = authConfigMap(frontProxyCa.cert, clientCa.cert);
    kube.sarPolicy = () => ({ allowed: true });
    api = await startClusterAdapter(kube);
  });

  after(async () => {
    await api?.stop();
    await kube?.close();
  });

  it('valid front-proxy certificate + X-Remote-* headers → 200 as that user, with groups and extra', async () => {
    const r = await api.get(DISCOVERY, {
      cert: frontProxy,
      headers: {
        'X-Remote-User': 'alice',
        'X-Remote-Group': ['team-a', 'team-b'],
        'X-Remote-Extra-Scopes': 'metrics',
        'X-Remote-Extra-Acme.com%2Fproject': ['p1', 'p2'],
      },
    });
    expect(r.status, r.text).to.equal(200);
    expect(lastReview()).to.deep.include({
      user: 'alice',
      groups: ['team-a', 'team-b', 'system:authenticated'],
      extra: { 'acme.com/project': ['p1', 'p2'], scopes: ['metrics'] },
    });
  });

  it('accepts a front-proxy certificate that chains through an intermediate it sends along', async () => {
    const intermediate = await makeCa('front-proxy-intermediate', { issuer: frontProxyCa });
    const leaf = await makeLeaf({ cn: 'front-proxy-client', issuer: intermediate, usage: 'client' });
    const r = await api.get(DISCOVERY, { cert: { ...leaf, chain: [intermediate.cert] }, headers: { 'X-Remote-User': 'alice' } });
    expect(r.status, r.text).to.equal(200);
  });

  it('no certificate and no token → 401 Status; probes and OpenAPI stay open', async () => {
    for (const path of [DISCOVERY, '/apis', '/apis/custom.metrics.k8s.io/v1beta2/namespaces/ml/pods/*/nvidia_gpu_duty_cycle', '/apis/external.metrics.k8s.io/v1beta1/namespaces/ml/q']) {
      const r = await api.get(path);
      expect(r.status, path).to.equal(401);
      expect(r.json, path).to.deep.equal(UNAUTHORIZED);
    }
    expect((await api.get('/healthz')).status).to.equal(200);
    expect((await api.get('/livez')).status).to.equal(200);
    expect((await api.get('/openapi/v2')).status).to.equal(200);
    expect((await api.get('/openapi/v3')).status).to.equal(404);
  });

  it('ignores X-Remote-* headers without a front-proxy certificate', async () => {
    const headers = { 'X-Remote-User': 'system:kube-aggregator', 'X-Remote-Group': 'system:masters' };
    expect((await api.get(DISCOVERY, { headers })).status).to.equal(401);
    // With a client-CA certificate the user is the certificate's, never the headers'.
    const bob = await makeLeaf({ cn: 'bob', orgs: ['team-a'], issuer: clientCa, usage: 'client' });
    const before = kube.subjectAccessReviews.length;
    expect((await api.get(DISCOVERY, { cert: bob, headers })).status).to.equal(200);
    expect(kube.subjectAccessReviews.length).to.equal(before + 1);
    expect(lastReview()).to.deep.include({ user: 'bob', groups: ['team-a', 'system:authenticated'] });
    expect(lastReview()).to.not.have.property('extra');
  });

  const rejected: [string, () => Promise<Pem>, string][] = [
    ['a CA the cluster does not trust', async () => makeLeaf({ cn: 'front-proxy-client', issuer: await makeCa('front-proxy-ca'), usage: 'client' }), 'ca'],
    ['a CN outside requestheader-allowed-names', () => makeLeaf({ cn: 'not-the-front-proxy', issuer: frontProxyCa, usage: 'client' }), 'cn'],
    [
      'an expired certificate',
      () => makeLeaf({ cn: 'front-proxy-client', issuer: frontProxyCa, usage: 'client', notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) }),
      'expiry',
    ],
    ['a certificate not yet valid', () => makeLeaf({ cn: 'front-proxy-client', issuer: frontProxyCa, usage: 'client', notBefore: new Date(Date.now() + HOUR) }), 'expiry'],
    ['a server-auth-only certificate', () => makeLeaf({ cn: 'front-proxy-client', issuer: frontProxyCa, usage: 'server' }), 'usage'],
  ];
  for (const [what, make, check] of rejected) {
    it(`front-proxy certificate with ${what} → 401, logs check "${check}"`, async () => {
      const cert = await make();
      const r = await api.get(DISCOVERY, { cert, headers: { 'X-Remote-User': 'system:kube-aggregator', 'X-Remote-Group': 'system:masters' } });
      expect(r.status).to.equal(401);
      expect(r.json).to.deep.equal(UNAUTHORIZED);
      expect(failureLogs().some((l) => l.source === 'front-proxy' && l.check === check), JSON.stringify(failureLogs())).to.equal(true);
    });
  }

  it('rate-limits the failure log per check and subject', async () => {
    const stranger = await makeLeaf({ cn: 'rate-limited', issuer: frontProxyCa, usage: 'client' });
    const count = () => failureLogs().filter((l) => String(l.subject).includes('rate-limited')).length;
    for (let i = 0; i < 5; i++) expect((await api.get(DISCOVERY, { cert: stranger, headers: { 'X-Remote-User': 'x' } })).status).to.equal(401);
    expect(count()).to.equal(1);
  });

  it('accepts a certificate without the extended-key-usage extension (any usage, as in Go)', async () => {
    const cert = await makeLeaf({ cn: 'front-proxy-client', issuer: frontProxyCa, usage: 'none' });
    expect((await api.get(DISCOVERY, { cert, headers: { 'X-Remote-User': 'alice' } })).status).to.equal(200);
  });

  it('a verified front proxy that names no user does not authenticate the request', async () => {
    expect((await api.get(DISCOVERY, { cert: frontProxy })).status).to.equal(401);
  });

  it('bearer tokens via TokenReview, answers cached', async () => {
    kube.tokens.set('tok-carol', { username: 'carol', uid: 'u-1', groups: ['devs'], extra: { scopes: ['view'] } });
    const reviews = kube.tokenReviews.length;
    const ok = await api.get(DISCOVERY, { headers: { Authorization: 'Bearer tok-carol' } });
    expect(ok.status, ok.text).to.equal(200);
    expect(lastReview()).to.deep.include({ user: 'carol', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['view'] } });
    expect((await api.get(DISCOVERY, { headers: { Authorization: 'Bearer tok-carol' } })).status).to.equal(200);
    expect(kube.tokenReviews.length).to.equal(reviews + 1);
    const bad = await api.get(DISCOVERY, { headers: { Authorization: 'Bearer nope' } });
    expect(bad.status).to.equal(401);
    expect(failureLogs().some((l) => l.source === 'token')).to.equal(true);
  });

  it('a TokenReview that cannot be made → 500 InternalError "authentication unavailable", not 401; not cached', async () => {
    kube.tokens.set('tok-dave', { username: 'dave' });
    kube.tokenReviewStatus = 503;
    try {
      const r = await api.get(DISCOVERY, { headers: { Authorization: 'Bearer tok-dave' } });
      expect(r.status, r.text).to.equal(500);
      expect(JSON.parse(r.text)).to.deep.include({
        kind: 'Status', status: 'Failure', reason: 'InternalError', code: 500,
        message: 'Internal error occurred: authentication unavailable: kube-apiserver answered the TokenReview with HTTP 503',
      });
      expect(api.logs.some((l) => l.msg === 'authentication unavailable' && l.source === 'token')).to.equal(true);
    } finally {
      kube.tokenReviewStatus = undefined;
    }
    // The failure was not cached: the same token authenticates once kube-apiserver answers again.
    expect((await api.get(DISCOVERY, { headers: { Authorization: 'Bearer tok-dave' } })).status).to.equal(200);
  });

  it('the aggregator probe (system:kube-aggregator in system:masters) passes without a SubjectAccessReview', async () => {
    const before = kube.subjectAccessReviews.length;
    for (const path of ['/apis/custom.metrics.k8s.io/v1beta1', '/apis/custom.metrics.k8s.io/v1beta2', '/apis/external.metrics.k8s.io/v1beta1', '/apis']) {
      const r = await api.get(path, { cert: frontProxy, headers: { 'X-Remote-User': 'system:kube-aggregator', 'X-Remote-Group': 'system:masters' } });
      expect(r.status, path).to.equal(200);
    }
    expect(kube.subjectAccessReviews.length).to.equal(before);
  });

  it('picks up a rotated front-proxy CA from the ConfigMap without a restart', async () => {
    const newCa = await makeCa('front-proxy-ca-2');
    const newProxy = await makeLeaf({ cn: 'front-proxy-client', issuer: newCa, usage: 'client' });
    const headers = { 'X-Remote-User': 'alice' };
    expect((await api.get(DISCOVERY, { cert: newProxy, headers })).status).to.equal(401);
    // Rotation overlap: both CAs in the bundle.
    kube.configMap = authConfigMap(frontProxyCa.cert + newCa.cert, clientCa.cert);
    await eventually(async () => expect((await api.get(DISCOVERY, { cert: newProxy, headers })).status).to.equal(200), 5_000, 100);
    expect((await api.get(DISCOVERY, { cert: frontProxy, headers })).status).to.equal(200);
    // The old CA leaves the bundle: its certificates stop working.
    kube.configMap = authConfigMap(newCa.cert, clientCa.cert);
    await eventually(async () => expect((await api.get(DISCOVERY, { cert: frontProxy, headers })).status).to.equal(401), 5_000, 100);
    expect((await api.get(DISCOVERY, { cert: newProxy, headers })).status).to.equal(200);
    kube.configMap = authConfigMap(frontProxyCa.cert, clientCa.cert);
    await eventually(async () => expect((await api.get(DISCOVERY, { cert: frontProxy, headers })).status).to.equal(200), 5_000, 100);
  });
});
