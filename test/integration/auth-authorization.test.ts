/**
 * Delegated authorization in cluster mode against a recording kube-apiserver stand-in: the
 * exact SubjectAccessReview for each path form (what Kubernetes' RequestInfo derives), the
 * 10 s allow/deny cache, the system:masters short-circuit and Kubernetes' 403 bodies.
 */
import { expect } from 'chai';
import { FakeKubeApiServer, type SarSpecRecord } from '../helpers/fake-kube-apiserver.js';
import { startClusterAdapter, type ClusterAdapter } from '../helpers/cluster-adapter.js';
import { makeCa, makeLeaf, type Pem } from '../helpers/x509.js';

const CM = 'custom.metrics.k8s.io';
const EM = 'external.metrics.k8s.io';
const GPU = 'nvidia_gpu_duty_cycle';

describe('delegated authorization: SubjectAccessReview attributes, cache and 403s', function () {
  this.timeout(60_000);
  let kube: FakeKubeApiServer;
  let api: ClusterAdapter;
  let frontProxy: Pem;

  const as = (user: string, groups: string[] = ['system:authenticated']) => ({
    cert: frontProxy,
    headers: { 'X-Remote-User': user, 'X-Remote-Group': groups },
  });
  /** The reviews one request caused. */
  async function reviewsFor(path: string, user = 'hpa'): Promise<{ status: number; reviews: SarSpecRecord[]; json: unknown }> {
    const before = kube.subjectAccessReviews.length;
    const r = await api.get(path, as(user));
    return { status: r.status, reviews: kube.subjectAccessReviews.slice(before), json: r.json };
  }

  before(async () => {
    kube = await FakeKubeApiServer.start();
    const ca = await makeCa('front-proxy-ca');
    frontProxy = await makeLeaf({ cn: 'front-proxy-client', issuer: ca, usage: 'client' });
    kube.configMap = {
      'requestheader-client-ca-file': ca.cert,
      'requestheader-allowed-names': '[]',
      'requestheader-username-headers': '["X-Remote-User"]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
    };
    kube.pods = [{ namespace: 'ml', name: 'p1', labels: { app: 'trainer' } }];
    // The HPA's bootstrap role: get, list on both metric groups; alice gets nothing.
    kube.sarPolicy = (spec) => {
      if (spec.user === 'hpa') return { allowed: true };
      return { allowed: false, reason: spec.user === 'mallory' ? '' : 'RBAC: no rule grants this' };
    };
    api = await startClusterAdapter(kube);
    api.adapter.store.registerSource('dcgm', [GPU]);
    api.adapter.store.registerSource('bullmq', ['redis_queue_depth']);
    api.adapter.store.replace('dcgm', [{ metric: GPU, target: { kind: 'object', resource: 'pods', namespace: 'ml', name: 'p1' }, labels: { gpu: '0' }, value: 70, timestampMs: Date.now() }]);
    api.adapter.store.replace('bullmq', [
      { metric: 'redis_queue_depth', target: { kind: 'external' }, labels: { queue_name: 'stt', queue_type: 'total', prefix: 'bull' }, value: 4, timestampMs: Date.now() },
    ]);
  });

  after(async () => {
    await api?.stop();
    await kube?.close();
  });

  const base = { user: 'hpa', groups: ['system:authenticated'] };
  const resource = (attrs: Record<string, string>) => ({ ...base, resourceAttributes: attrs });
  const cases: [string, string, SarSpecRecord][] = [
    [
      'A: one pod',
      `/apis/${CM}/v1beta2/namespaces/ml/pods/p1/${GPU}`,
      resource({ namespace: 'ml', verb: 'get', group: CM, version: 'v1beta2', resource: 'pods', subresource: GPU, name: 'p1' }),
    ],
    [
      'B: pods by selector',
      `/apis/${CM}/v1beta2/namespaces/ml/pods/*/${GPU}?labelSelector=app%3Dtrainer`,
      resource({ namespace: 'ml', verb: 'get', group: CM, version: 'v1beta2', resource: 'pods', subresource: GPU, name: '*' }),
    ],
    [
      'B (v1beta1, %2A for *)',
      `/apis/${CM}/v1beta1/namespaces/ml/pods/%2A/${GPU}`,
      resource({ namespace: 'ml', verb: 'get', group: CM, version: 'v1beta1', resource: 'pods', subresource: GPU, name: '*' }),
    ],
    [
      'A: a Deployment (HPA Object metric)',
      `/apis/${CM}/v1beta2/namespaces/ml/deployments.apps/web/queue_latency`,
      resource({ namespace: 'ml', verb: 'get', group: CM, version: 'v1beta2', resource: 'deployments.apps', subresource: 'queue_latency', name: 'web' }),
    ],
    [
      'C: the Namespace object',
      `/apis/${CM}/v1beta2/namespaces/ml/metrics/queue_latency`,
      resource({ namespace: 'ml', verb: 'get', group: CM, version: 'v1beta2', resource: 'metrics', name: 'queue_latency' }),
    ],
    [
      'D: one node (cluster scope)',
      `/apis/${CM}/v1beta2/nodes/n1/${GPU}`,
      resource({ verb: 'get', group: CM, version: 'v1beta2', resource: 'nodes', subresource: GPU, name: 'n1' }),
    ],
    [
      'E: nodes by selector',
      `/apis/${CM}/v1beta2/nodes/*/${GPU}?labelSelector=gpu%3Dh100`,
      resource({ verb: 'get', group: CM, version: 'v1beta2', resource: 'nodes', subresource: GPU, name: '*' }),
    ],
    [
      'external metric',
      `/apis/${EM}/v1beta1/namespaces/ml/redis_queue_depth?labelSelector=queue_name%3Dstt`,
      resource({ namespace: 'ml', verb: 'list', group: EM, version: 'v1beta1', resource: 'redis_queue_depth' }),
    ],
    ['discovery: /apis', '/apis', { ...base, nonResourceAttributes: { path: '/apis', verb: 'get' } }],
    ['discovery: group', `/apis/${CM}`, { ...base, nonResourceAttributes: { path: `/apis/${CM}`, verb: 'get' } }],
    ['discovery: group version', `/apis/${EM}/v1beta1`, { ...base, nonResourceAttributes: { path: `/apis/${EM}/v1beta1`, verb: 'get' } }],
    ['discovery: trailing slash', `/apis/${CM}/v1beta2/`, { ...base, nonResourceAttributes: { path: `/apis/${CM}/v1beta2/`, verb: 'get' } }],
  ];
  for (const [what, path, want] of cases) {
    it(`${what}: ${path}`, async () => {
      const r = await reviewsFor(path);
      expect(r.reviews).to.deep.equal([want]);
      expect(r.status, JSON.stringify(r.json)).to.not.be.oneOf([401, 403]);
    });
  }

  it('serves the data once allowed', async () => {
    const pod = await api.get(`/apis/${CM}/v1beta2/namespaces/ml/pods/p1/${GPU}`, as('hpa'));
    expect(pod.status, pod.text).to.equal(200);
    expect((pod.json as { items: { value: string }[] }).items[0]?.value).to.equal('70');
    const ext = await api.get(`/apis/${EM}/v1beta1/namespaces/ml/redis_queue_depth?labelSelector=queue_name%3Dstt`, as('hpa'));
    expect(ext.status, ext.text).to.equal(200);
    expect((ext.json as { items: { value: string }[] }).items[0]?.value).to.equal('4');
  });

  it('caches allow answers: a second identical request within 10 s sends no review', async () => {
    const path = `/apis/${CM}/v1beta2/namespaces/ml/pods/p1/${GPU}`;
    await api.get(path, as('hpa'));
    const again = await reviewsFor(path);
    expect(again.status).to.equal(200);
    expect(again.reviews).to.deep.equal([]);
    // A different user is a different review.
    const other = await reviewsFor(path, 'alice');
    expect(other.reviews).to.have.length(1);
  });

  it('caches deny answers too', async () => {
    const path = `/apis/${EM}/v1beta1/namespaces/prod/redis_queue_depth`;
    const first = await reviewsFor(path, 'alice');
    expect(first.status).to.equal(403);
    expect(first.reviews).to.have.length(1);
    const second = await reviewsFor(path, 'alice');
    expect(second.status).to.equal(403);
    expect(second.reviews).to.deep.equal([]);
  });

  it('sends identical concurrent reviews once', async () => {
    const path = `/apis/${CM}/v1beta2/namespaces/batch/pods/*/${GPU}`;
    const before = kube.subjectAccessReviews.length;
    await Promise.all([1, 2, 3, 4, 5].map(() => api.get(path, as('alice'))));
    expect(kube.subjectAccessReviews.length - before).to.equal(1);
  });

  it('allows system:masters without a review', async () => {
    const before = kube.subjectAccessReviews.length;
    const r = await api.get(`/apis/${EM}/v1beta1/namespaces/ml/redis_queue_depth`, as('root', ['system:masters', 'system:authenticated']));
    expect(r.status).to.equal(200);
    expect(kube.subjectAccessReviews.length).to.equal(before);
  });

  it('403 bodies name user, verb and resource exactly as Kubernetes does', async () => {
    const pods = await api.get(`/apis/${CM}/v1beta2/namespaces/ml/pods/*/${GPU}`, as('alice'));
    expect(pods.status).to.equal(403);
    expect(pods.json).to.deep.equal({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: `pods.${CM} "*" is forbidden: User "alice" cannot get resource "pods/${GPU}" in API group "${CM}" in the namespace "ml": RBAC: no rule grants this`,
      reason: 'Forbidden', details: { name: '*', group: CM, kind: 'pods' }, code: 403,
    });
    const node = await api.get(`/apis/${CM}/v1beta2/nodes/n1/${GPU}`, as('mallory'));
    expect((node.json as { message: string }).message).to.equal(
      `nodes.${CM} "n1" is forbidden: User "mallory" cannot get resource "nodes/${GPU}" in API group "${CM}" at the cluster scope`,
    );
    const ext = await api.get(`/apis/${EM}/v1beta1/namespaces/ml/redis_queue_depth`, as('alice'));
    expect(ext.json).to.deep.equal({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: `redis_queue_depth.${EM} is forbidden: User "alice" cannot list resource "redis_queue_depth" in API group "${EM}" in the namespace "ml": RBAC: no rule grants this`,
      reason: 'Forbidden', details: { group: EM, kind: 'redis_queue_depth' }, code: 403,
    });
    const disc = await api.get(`/apis/${CM}/v1beta2`, as('alice'));
    expect(disc.status).to.equal(403);
    expect(disc.json).to.deep.equal({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: `forbidden: User "alice" cannot get path "/apis/${CM}/v1beta2": RBAC: no rule grants this`, reason: 'Forbidden', code: 403,
    });
  });

  it('a review kube-apiserver cannot answer is a 500, and is not cached', async () => {
    const policy = kube.sarPolicy;
    kube.sarPolicy = () => {
      throw new Error('boom');
    };
    try {
      const path = `/apis/${CM}/v1beta2/namespaces/error/pods/*/${GPU}`;
      const r = await api.get(path, as('hpa'));
      expect(r.status).to.equal(500);
      expect(r.json).to.deep.include({ reason: 'InternalError', message: 'Internal error occurred: unable to authorize the request' });
      kube.sarPolicy = policy;
      expect((await api.get(path, as('hpa'))).status).to.not.be.oneOf([401, 403, 500]);
    } finally {
      kube.sarPolicy = policy;
    }
  });
});
