/**
 * The REST autoscaler API (/api/v1 on :8080) against a real kube-apiserver and
 * kube-controller-manager: every endpoint, auth by TokenReview + SubjectAccessReview, the HPAs
 * it creates read back from kube-apiserver, and state that survives a restart of the adapter.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricPoint } from '../../src/store/index.js';
import { AUTOSCALER_EXAMPLES, INVALID_REQUESTS } from '../helpers/autoscaler-examples.js';
import { requireBinariesOrSkip, startControlPlane, waitFor, type ControlPlane } from './harness/index.js';
import { call, installFrontEndManifests, startAdapterAsServiceAccount, tokenOf, type InProcessAdapter } from './support/front-ends.js';

const API = '/api/v1/autoscaling';

interface Hpa {
  metadata: { name: string; labels?: Record<string, string> };
  spec: unknown;
}

describe('e2e REST autoscaler API (/api/v1/autoscaling)', function () {
  let cp: ControlPlane | undefined;
  let adapter: InProcessAdapter | undefined;
  let admin = '';
  let nobody = '';

  const plane = () => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  const run = () => {
    if (!adapter) throw new Error('adapter not started');
    return adapter;
  };
  const api = (method: string, path: string, opts: { token?: string; body?: unknown; rawBody?: string } = {}) =>
    call(run().http, method, path, { token: admin, ...opts });
  const getHpa = async (ns: string, name: string) => JSON.parse(await plane().kubectlOk(['-n', ns, 'get', 'hpa', name, '-o', 'json'])) as Hpa;

  before(async function () {
    requireBinariesOrSkip(this);
    this.timeout(240_000);
    cp = await startControlPlane();
    await installFrontEndManifests(cp);
    for (const ns of ['web', 'ml', 'ai-models', 'data']) await cp.kubectlOk(['create', 'namespace', ns]);
    // A caller allowed to manage HPAs everywhere, and one with no RBAC at all.
    await cp.kubectlOk(['create', 'clusterrole', 'hpa-manager', '--verb=get,list,watch,create,delete', '--resource=horizontalpodautoscalers.autoscaling']);
    await cp.kubectlOk(['create', 'clusterrolebinding', 'hpa-manager', '--clusterrole=hpa-manager', '--serviceaccount=default:autoscaler-admin']);
    admin = tokenOf(await cp.serviceAccountKubeconfig('default', 'autoscaler-admin'));
    nobody = tokenOf(await cp.serviceAccountKubeconfig('default', 'nobody'));
    adapter = await startAdapterAsServiceAccount(cp, { auth: { tokenCacheSeconds: 1, allowCacheSeconds: 1, denyCacheSeconds: 1 } });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cp) {
      console.log(`control-plane logs:\n${cp.logs()}\nadapter logs:\n${(adapter?.logs ?? []).slice(-30).map((l) => JSON.stringify(l)).join('\n')}`);
    }
  });

  after(async function () {
    this.timeout(60_000);
    await adapter?.stop();
    await cp?.stop();
  });

  for (const ex of AUTOSCALER_EXAMPLES) {
    it(`POST creates the exact HPA for the ${ex.title} example (read back from kube-apiserver)`, async function () {
      this.timeout(30_000);
      const r = await api('POST', API, { body: ex.request });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const ns = ex.request.workload_namespace as string;
      const name = ex.request.workload_name as string;
      expect(r.body.autoscaling_id).to.equal(`${ns}.${name}`);
      expect(r.body.status).to.be.oneOf(['pending', 'active', 'degraded']);
      expect(r.body.message).to.be.a('string').and.contain(`${ns}/${name}`);
      const details = r.body.details as Record<string, unknown>;
      expect(details.hpa_name).to.equal(name);
      expect(Date.parse(details.created_at as string)).to.be.closeTo(Date.now(), 60_000);
      expect(details).to.include({ scale_up_count: 0, scale_down_count: 0 });
      expect(details).to.have.property('current_replicas');
      expect(details).to.have.property('desired_replicas');
      expect(details.current_metrics).to.be.an('object');
      const hpa = await getHpa(ns, name);
      expect(hpa.spec).to.deep.equal(ex.hpa);
      expect(hpa.metadata.labels).to.include({ 'app.kubernetes.io/managed-by': 'ai-metrics-adapter', 'autoscaling.kubeai.io/front-end': 'rest-api' });
    });
  }

  it('POST of an autoscaler that exists answers 409; so does an HPA already on the workload', async function () {
    const again = await api('POST', API, { body: AUTOSCALER_EXAMPLES[0]?.request });
    expect(again.status).to.equal(409);
    expect(again.body.error).to.equal('autoscaler web.api already exists');
    expect(again.body).to.have.property('details');
    // Someone's own HPA (kubectl) on Deployment web/frontend: the API must not add a second one.
    const file = join(plane().dir, 'user-hpa.yaml');
    writeFileSync(file, `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: frontend-hpa, namespace: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: frontend}
  maxReplicas: 3
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]
`);
    await plane().kubectlOk(['apply', '-f', file]);
    const rival = await api('POST', API, { body: { ...AUTOSCALER_EXAMPLES[0]?.request, workload_name: 'frontend' } });
    expect(rival.status).to.equal(409);
    expect(rival.body.error).to.contain('already scaled by HPA frontend-hpa');
    // …and that HPA is not one of ours: not readable or deletable through the API.
    expect((await api('GET', `${API}/web.frontend-hpa`)).status).to.equal(404);
    expect((await api('DELETE', `${API}/web.frontend-hpa`)).status).to.equal(404);
    await plane().kubectlOk(['-n', 'web', 'get', 'hpa', 'frontend-hpa']);
  });

  describe('POST validation: 400 naming the field', () => {
    for (const [what, body, field] of INVALID_REQUESTS) {
      it(`${what} → ${field}`, async () => {
        const r = await api('POST', API, { body });
        expect(r.status).to.equal(400);
        expect(r.body.error).to.be.a('string').and.contain(field);
        expect((r.body.details as { field: string }[]).map((d) => d.field)).to.include(field);
      });
    }

    it('a body that is not JSON', async () => {
      const r = await api('POST', API, { rawBody: '{"workload_name":' });
      expect(r.status).to.equal(400);
      expect(r.body.error).to.equal('request body is not valid JSON');
    });
  });

  it('GET /:id answers the autoscaler from its HPA; an unknown id is 404', async function () {
    const r = await api('GET', `${API}/data.etl`);
    expect(r.status).to.equal(200);
    expect(r.body.autoscaling_id).to.equal('data.etl');
    expect(r.body.config).to.deep.equal({
      workload_name: 'etl', workload_namespace: 'data', workload_type: 'Deployment', min_replicas: 1, max_replicas: 30,
      target_storage_read_throughput_mbps: 800, target_storage_write_throughput_mbps: 300, target_storage_iops: 5000,
      scale_up_policy: { stabilization_window_seconds: 0 }, scale_down_policy: { stabilization_window_seconds: 300 },
    });
    const details = r.body.details as { current_metrics: Record<string, unknown>; metric_errors: Record<string, string> };
    // No workload, no source: values are null with the reason, never made up.
    expect(details.current_metrics).to.deep.equal({ storage_read_throughput_mbps: null, storage_write_throughput_mbps: null, storage_iops: null });
    expect(details.metric_errors.storage_iops).to.equal('Deployment data/etl does not exist');
    for (const id of ['data.nope', 'nodot', 'metricsx.']) {
      const missing = await api('GET', `${API}/${id}`);
      expect(missing.status, id).to.equal(404);
      expect(missing.body).to.have.keys('error', 'details');
    }
  });

  it('current metric values come from the store, averaged over the workload\'s pods', async function () {
    this.timeout(90_000);
    await plane().kubectlOk(['-n', 'ml', 'create', 'deployment', 'llm-server', '--image=registry.invalid/llm:1', '--replicas=2']);
    const pods = await waitFor('2 pods of ml/llm-server', async () => {
      const out = JSON.parse(await plane().kubectlOk(['-n', 'ml', 'get', 'pods', '-l', 'app=llm-server', '-o', 'json'])) as { items: { metadata: { name: string } }[] };
      const names = out.items.map((p) => p.metadata.name);
      return names.length === 2 ? names : undefined;
    }, { timeoutMs: 60_000, intervalMs: 300 });
    const store = run().adapter.store;
    store.registerSource('e2e-gpu', ['nvidia_gpu_duty_cycle']);
    const point = (pod: string, value: number): MetricPoint => ({
      metric: 'nvidia_gpu_duty_cycle', target: { kind: 'object', resource: 'pods', namespace: 'ml', name: pod }, labels: {}, value, timestampMs: Date.now(),
    });
    store.replace('e2e-gpu', [point(pods[0] ?? '', 60), point(pods[1] ?? '', 90)]);
    // The pod watch must have seen both pods.
    const details = await waitFor('gpu_percent from the store', async () => {
      const r = await api('GET', `${API}/ml.llm-server`);
      const d = r.body.details as { current_metrics: Record<string, number | null> };
      return d.current_metrics.gpu_percent === 75 ? d : undefined;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    expect(details.current_metrics).to.deep.include({ gpu_percent: 75 });
  });

  it('counts scale-ups from the HPA controller\'s rescale events', async function () {
    this.timeout(90_000);
    // min_replicas 2 over a 1-replica Deployment: the HPA controller scales up at once.
    await plane().kubectlOk(['-n', 'web', 'create', 'deployment', 'api', '--image=registry.invalid/api:1', '--replicas=1']);
    const details = await waitFor('a scale-up counted for web.api', async () => {
      const r = await api('GET', `${API}/web.api`);
      const d = r.body.details as { scale_up_count: number; last_scale_time: string | null; desired_replicas: number | null };
      return d.scale_up_count >= 1 ? d : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    expect(details.desired_replicas).to.equal(2);
    expect(details.last_scale_time).to.be.a('string');
  });

  it('GET lists every autoscaler (and only ours), optionally by namespace', async function () {
    const all = await api('GET', API);
    expect(all.status).to.equal(200);
    const ids = (all.body.autoscalers as { autoscaling_id: string }[]).map((a) => a.autoscaling_id).sort();
    expect(ids).to.deep.equal(['ai-models.trainer', 'data.etl', 'ml.llm-server', 'ml.triton', 'web.api']);
    expect(all.body.count).to.equal(5);
    const ml = await api('GET', `${API}?namespace=ml`);
    expect((ml.body.autoscalers as { autoscaling_id: string }[]).map((a) => a.autoscaling_id).sort()).to.deep.equal(['ml.llm-server', 'ml.triton']);
  });

  it('GET /metrics answers totals and averages', async function () {
    const r = await api('GET', `${API}/metrics`);
    expect(r.status).to.equal(200);
    expect(r.body).to.include({ total_autoscalers: 5, total_scale_downs: 0 });
    expect(r.body.total_scale_ups).to.be.at.least(1);
    expect(r.body.total_desired_replicas).to.be.at.least(2);
    expect((r.body.average_metrics as Record<string, number>).gpu_percent).to.equal(75);
  });

  describe('auth: TokenReview, then SubjectAccessReview on horizontalpodautoscalers', () => {
    const endpoints: [string, string, unknown?][] = [
      ['POST', API, AUTOSCALER_EXAMPLES[0]?.request],
      ['GET', API],
      ['GET', `${API}/metrics`],
      ['GET', `${API}/web.api`],
      ['DELETE', `${API}/web.api`],
    ];
    for (const [method, path, body] of endpoints) {
      it(`${method} ${path}: 401 without a token or with a bad one, 403 without RBAC`, async () => {
        const none = await call(run().http, method, path, { body });
        expect(none.status).to.equal(401);
        expect(none.body.error).to.equal('Unauthorized');
        const bad = await call(run().http, method, path, { token: 'not-a-token', body });
        expect(bad.status).to.equal(401);
        const denied = await call(run().http, method, path, { token: nobody, body });
        expect(denied.status).to.equal(403);
        expect(denied.body.error).to.equal('Forbidden');
        expect(denied.body.details).to.contain('system:serviceaccount:default:nobody').and.contain('horizontalpodautoscalers');
      });
    }

    it('a role scoped to one namespace allows exactly that namespace', async function () {
      await plane().kubectlOk(['-n', 'ml', 'create', 'role', 'hpa-reader', '--verb=get,list', '--resource=horizontalpodautoscalers.autoscaling']);
      await plane().kubectlOk(['-n', 'ml', 'create', 'rolebinding', 'hpa-reader', '--role=hpa-reader', '--serviceaccount=default:nobody']);
      await waitFor('nobody may read ml', async () => (await call(run().http, 'GET', `${API}/ml.llm-server`, { token: nobody })).status === 200, { timeoutMs: 10_000, intervalMs: 300 });
      expect((await call(run().http, 'GET', `${API}?namespace=ml`, { token: nobody })).status).to.equal(200);
      expect((await call(run().http, 'GET', `${API}/data.etl`, { token: nobody })).status).to.equal(403);
      expect((await call(run().http, 'DELETE', `${API}/ml.llm-server`, { token: nobody })).status).to.equal(403);
    });
  });

  it('a restarted adapter (or a second replica) sees the same autoscalers', async function () {
    this.timeout(60_000);
    await adapter?.stop();
    adapter = await startAdapterAsServiceAccount(plane());
    const all = await api('GET', API);
    expect(all.body.count).to.equal(5);
    expect((await api('GET', `${API}/ai-models.trainer`)).status).to.equal(200);
  });

  it('DELETE removes the HPA; deleting again is still 200 (idempotent); then GET is 404', async function () {
    const first = await api('DELETE', `${API}/ml.triton`);
    expect(first.status).to.equal(200);
    expect(first.body).to.include({ autoscaling_id: 'ml.triton', status: 'deleted' });
    const gone = await plane().kubectl(['-n', 'ml', 'get', 'hpa', 'triton']);
    expect(gone.code).to.not.equal(0);
    expect(gone.stderr).to.contain('NotFound');
    const second = await api('DELETE', `${API}/ml.triton`);
    expect(second.status).to.equal(200);
    expect(second.body).to.include({ autoscaling_id: 'ml.triton', status: 'deleted' });
    expect((await api('GET', `${API}/ml.triton`)).status).to.equal(404);
    expect((await api('GET', API)).body.count).to.equal(4);
  });

  it('unknown routes under /api/v1 answer a JSON 404', async () => {
    const r = await api('PUT', `${API}/web.api`, { body: {} });
    expect(r.status).to.equal(404);
    expect(r.body).to.have.keys('error', 'details');
  });
});
