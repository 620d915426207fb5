/**
 * AIInferenceAutoscalerPolicy against a real control plane: the shipped CRD (validation, short
 * names, printer columns), the controller in the adapter (running as its ServiceAccount with the
 * shipped RBAC) compiling each policy into one owned HPA, PromQL metrics from a real Prometheus
 * registered in the catalog, status from the HPA and the store, and the garbage collector
 * deleting the HPA with its policy.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { FixtureServer } from '../helpers/fixture-server.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';
import { requireBinariesOrSkip, startControlPlane, waitFor, type ControlPlane } from './harness/index.js';
import { installFrontEndManifests, startAdapterAsServiceAccount, type InProcessAdapter } from './support/front-ends.js';

const NS = 'inference';
const LATENCY_Q = 'histogram_quantile({{quantile}}, sum by (le) (rate(http_request_duration_seconds_bucket{pod="stt-worker-7d9f8c6b5-x2kqp"}[30s])))';
const QUEUE_Q = 'sum(fixture_queue_backlog{queue="stt-queue"})';
const TARGET = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'llm' };
const P99 = `aiap:${NS}:llm:latency_p99_seconds`;
const QUEUE = `aiap:${NS}:llm:request_queue_depth`;

interface Condition { type: string; status: string; reason: string; message: string; lastTransitionTime: string }
interface Policy {
  metadata: { uid: string };
  status?: {
    observedGeneration?: number; hpaName?: string; currentReplicas?: number; desiredReplicas?: number; lastScaleTime?: string;
    currentMetrics?: { name: string; type: string; value?: string; error?: string }[];
    conditions?: Condition[];
  };
}
interface Hpa {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[] };
  spec: { maxReplicas: number; metrics: unknown[] };
}

function policy(name: string, spec: Record<string, unknown>): string {
  return stringify({ apiVersion: 'kubeai.io/v1alpha1', kind: 'AIInferenceAutoscalerPolicy', metadata: { name, namespace: NS }, spec });
}

describe('e2e AIInferenceAutoscalerPolicy controller', function () {
  let cp: ControlPlane | undefined;
  let adapter: InProcessAdapter | undefined;
  let fixture: FixtureServer | undefined;
  let prometheus: PrometheusServer | undefined;

  const plane = () => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  const apply = async (file: string, text: string) => {
    const path = join(plane().dir, file);
    writeFileSync(path, text);
    return plane().kubectl(['apply', '-f', path]);
  };
  const getJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await plane().kubectlOk(['-n', NS, 'get', ...args, '-o', 'json'])) as T;
  const condition = (p: Policy, type: string) => p.status?.conditions?.find((c) => c.type === type);

  before(async function () {
    requireBinariesOrSkip(this);
    this.timeout(240_000);
    fixture = await FixtureServer.start();
    prometheus = await startPrometheus([{ job: 'app', url: fixture.url('/app') }]);
    cp = await startControlPlane();
    await installFrontEndManifests(cp);
    await cp.kubectlOk(['create', 'namespace', NS]);
    await cp.kubectlOk(['-n', NS, 'create', 'deployment', 'llm', '--image=registry.invalid/llm:1', '--replicas=1']);
    adapter = await startAdapterAsServiceAccount(cp, { prometheus: { url: prometheus.url, intervalSeconds: 1 }, policies: { resyncSeconds: 1 } });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cp) {
      console.log(`control-plane logs:\n${cp.logs()}\nadapter logs:\n${(adapter?.logs ?? []).slice(-40).map((l) => JSON.stringify(l)).join('\n')}`);
    }
  });

  after(async function () {
    this.timeout(60_000);
    await adapter?.stop();
    await cp?.stop();
    await prometheus?.cleanup();
    await fixture?.close();
  });

  it('the CRD rejects an invalid policy at admission, naming the rule', async function () {
    const r = await apply('invalid.yaml', policy('bad', { targetRef: { kind: 'Deployment', name: 'llm' }, minReplicas: 5, maxReplicas: 2, metrics: { gpuUtilization: { targetPercentage: 50 } } }));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('maxReplicas must be greater than or equal to minReplicas');
    const none = await apply('none.yaml', policy('bad', { targetRef: { kind: 'Deployment', name: 'llm' }, maxReplicas: 2, metrics: { latency: { enabled: false } } }));
    expect(none.stderr).to.contain('enable at least one of latency, gpuUtilization, requestQueueDepth');
    const kind = await apply('kind.yaml', policy('bad', { targetRef: { kind: 'DaemonSet', name: 'llm' }, maxReplicas: 2, metrics: { gpuUtilization: { targetPercentage: 50 } } }));
    expect(kind.stderr).to.contain('spec.targetRef.kind');
  });

  it('a policy becomes one HPA it owns, with the exact spec', async function () {
    this.timeout(60_000);
    const r = await apply('llm.yaml', policy('llm', {
      targetRef: { kind: 'Deployment', name: 'llm' },
      minReplicas: 2,
      maxReplicas: 8,
      cooldownPeriod: 120,
      metrics: {
        latency: { targetP99Ms: 400, prometheusQuery: LATENCY_Q },
        requestQueueDepth: { targetDepth: 10, prometheusQuery: QUEUE_Q },
      },
      scaleUp: { policies: [{ type: 'Pods', value: 2, periodSeconds: 30 }] },
    }));
    expect(r.code, r.stderr).to.equal(0);
    const p = await getJson<Policy>('aiap', 'llm');
    const hpa = await waitFor('HPA inference/llm', async () => (await plane().kubectl(['-n', NS, 'get', 'hpa', 'llm', '-o', 'json'])).code === 0 ? getJson<Hpa>('hpa', 'llm') : undefined,
      { timeoutMs: 30_000, intervalMs: 300 });
    expect(hpa.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'kubeai.io/v1alpha1', kind: 'AIInferenceAutoscalerPolicy', name: 'llm', uid: p.metadata.uid, controller: true }]);
    expect(hpa.metadata.labels).to.include({ 'autoscaling.kubeai.io/front-end': 'policy', 'autoscaling.kubeai.io/policy': 'llm' });
    expect(hpa.spec).to.deep.equal({
      scaleTargetRef: TARGET,
      minReplicas: 2,
      maxReplicas: 8,
      metrics: [
        { type: 'Object', object: { describedObject: TARGET, metric: { name: P99 }, target: { type: 'Value', value: '400m' } } },
        { type: 'Object', object: { describedObject: TARGET, metric: { name: QUEUE }, target: { type: 'AverageValue', averageValue: '10' } } },
      ],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 30 }] },
        scaleDown: { stabilizationWindowSeconds: 120, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
      },
    });
  });

  it('registers the policy\'s PromQL metrics and reports their values from the store in status', async function () {
    this.timeout(90_000);
    const catalog = adapter?.adapter.store.catalog;
    expect(catalog?.customMetric(P99)?.resources).to.deep.equal(['deployments.apps']);
    const status = await waitFor('status with both metric values', async () => {
      const p = await getJson<Policy>('aiap', 'llm');
      const values = Object.fromEntries((p.status?.currentMetrics ?? []).map((m) => [m.name, m.value]));
      return values[P99] === '500m' && values[QUEUE] === '42' ? p.status : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, describe: async () => plane().kubectlOk(['-n', NS, 'get', 'aiap', 'llm', '-o', 'yaml']) });
    expect(status?.hpaName).to.equal('llm');
    expect(status?.observedGeneration).to.equal(1);
    const p = await getJson<Policy>('aiap', 'llm');
    expect(condition(p, 'Ready')).to.include({ status: 'True', reason: 'HPAReconciled' });
    expect(condition(p, 'MetricsAvailable')).to.include({ status: 'True', reason: 'MetricsServed' });
  });

  it('status reflects the HPA: replicas, lastScaleTime and its ScalingActive verdict', async function () {
    this.timeout(90_000);
    // min 2 over a 1-replica Deployment: the HPA controller scales to 2 without any metric. No
    // custom metrics APIService is registered here, so it cannot read the Object metrics.
    const p = await waitFor('policy status with the HPA\'s replicas and verdict', async () => {
      const q = await getJson<Policy>('aiap', 'llm');
      const active = condition(q, 'ScalingActive');
      return q.status?.desiredReplicas === 2 && q.status.lastScaleTime && active?.status === 'False' ? q : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, describe: async () => plane().kubectlOk(['-n', NS, 'get', 'aiap,hpa', '-o', 'yaml']) });
    expect(condition(p, 'ScalingActive')?.reason).to.equal('FailedGetObjectMetric');
    const hpa = await getJson<{ status: { desiredReplicas: number; lastScaleTime: string } }>('hpa', 'llm');
    expect(p.status?.desiredReplicas).to.equal(hpa.status.desiredReplicas);
    expect(Date.parse(p.status?.lastScaleTime ?? '')).to.equal(Date.parse(hpa.status.lastScaleTime));
  });

  it('kubectl shows the printer columns under the short names', async function () {
    for (const short of ['aiap', 'aipolicy']) {
      const out = await plane().kubectlOk(['-n', NS, 'get', short]);
      expect(out).to.match(/^NAME\s+TARGET\s+MIN\s+MAX\s+CURRENT\s+DESIRED\s+READY\s+AGE/m);
      expect(out).to.match(/^llm\s+llm\s+2\s+8\s+\S+\s+2\s+True\s+/m);
    }
  });

  it('updating the policy updates the HPA; a hand edit of the HPA is put back', async function () {
    this.timeout(60_000);
    await plane().kubectlOk(['-n', NS, 'patch', 'aiap', 'llm', '--type=merge', '-p', JSON.stringify({ spec: { maxReplicas: 5, metrics: { requestQueueDepth: { targetDepth: 20 } } } })]);
    await waitFor('HPA maxReplicas 5 and queue target 20', async () => {
      const hpa = await getJson<Hpa>('hpa', 'llm');
      return hpa.spec.maxReplicas === 5 && JSON.stringify(hpa.spec.metrics).includes('"averageValue":"20"');
    }, { timeoutMs: 30_000, intervalMs: 300 });
    await plane().kubectlOk(['-n', NS, 'patch', 'hpa', 'llm', '--type=merge', '-p', '{"spec":{"maxReplicas":50}}']);
    await waitFor('HPA maxReplicas back to 5', async () => (await getJson<Hpa>('hpa', 'llm')).spec.maxReplicas === 5, { timeoutMs: 30_000, intervalMs: 300 });
    const p = await waitFor('observedGeneration 2', async () => {
      const q = await getJson<Policy>('aiap', 'llm');
      return q.status?.observedGeneration === 2 ? q : undefined;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    expect(condition(p, 'Ready')?.status).to.equal('True');
  });

  it('an HPA of the same name that the policy does not own is reported, not taken over', async function () {
    this.timeout(60_000);
    await plane().kubectlOk(['-n', NS, 'create', 'deployment', 'other', '--image=registry.invalid/other:1']);
    await plane().kubectlOk(['-n', NS, 'autoscale', 'deployment', 'other', '--max=3', '--cpu-percent=50', '--name=other']);
    const r = await apply('other.yaml', policy('other', { targetRef: { kind: 'Deployment', name: 'other' }, maxReplicas: 4, metrics: { gpuUtilization: { targetPercentage: 60 } } }));
    expect(r.code, r.stderr).to.equal(0);
    const ready = await waitFor('Ready=False HPAConflict', async () => {
      const c = condition(await getJson<Policy>('aiap', 'other'), 'Ready');
      return c?.reason === 'HPAConflict' ? c : undefined;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    expect(ready.status).to.equal('False');
    expect(ready.message).to.contain('not owned by this policy');
    const hpa = await getJson<Hpa>('hpa', 'other');
    expect(hpa.metadata.ownerReferences ?? []).to.deep.equal([]);
    await plane().kubectlOk(['-n', NS, 'delete', 'aiap', 'other']);
  });

  it('deleting the policy deletes its HPA (garbage collector) and its metrics', async function () {
    this.timeout(150_000);
    await plane().kubectlOk(['-n', NS, 'delete', 'aiap', 'llm']);
    await waitFor('HPA inference/llm deleted by the garbage collector', async () => {
      const r = await plane().kubectl(['-n', NS, 'get', 'hpa', 'llm']);
      return r.code !== 0 && r.stderr.includes('NotFound');
    }, { timeoutMs: 120_000, intervalMs: 500 });
    await waitFor('policy metrics gone from the catalog', async () => adapter?.adapter.store.catalog.customMetric(P99) === undefined, { timeoutMs: 10_000, intervalMs: 200 });
    expect(adapter?.adapter.store.health().map((h) => h.id)).to.not.include(`policy:${NS}/llm`);
    // The HPA nobody's policy owns is left alone.
    await plane().kubectlOk(['-n', NS, 'get', 'hpa', 'other']);
  });
});
