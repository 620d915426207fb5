/**
 * Malformed input never gets a 5xx or crashes the server: a few thousand generated
 * requests (fixed seed) against the real API app on loopback. Every error is a Status.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiApp, resolveResource } from '../../src/apiserver/index.js';
import { StoreProvider } from '../../src/provider/index.js';
import { Catalog, MetricStore, builtinCatalog } from '../../src/store/index.js';
import { silentLogger } from '../../src/util/log.js';

const SEED = 20261126;
const RUNS = 3000;

function loadedStore(): MetricStore {
  const store = new MetricStore(new Catalog(builtinCatalog()));
  store.registerSource('dcgm', ['nvidia_gpu_duty_cycle', 'gpu_memory_utilization']);
  store.registerSource('bullmq', ['redis_queue_depth']);
  const now = Date.now();
  store.replace('dcgm', [
    { metric: 'nvidia_gpu_duty_cycle', target: { kind: 'object', resource: 'pods', namespace: 'ml', name: 'p' }, labels: { gpu: '0' }, value: 50, timestampMs: now },
  ]);
  store.replace('bullmq', [
    { metric: 'redis_queue_depth', target: { kind: 'external' }, labels: { queue_name: 'q', queue_type: 'total' }, value: 3, timestampMs: now },
  ]);
  return store;
}

interface Reply {
  status: number;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const segmentChars = fc.constantFrom(
  'a', 'z', '0', '-', '.', '_', '*', '%2A', '%2F', '%25', '%', '%ZZ', '..', '~', '!', '$', '&', "'", '(', ')', '+', ',', ';', '=', ':', '@',
  'pods', 'pod', 'Pods', 'nodes', 'namespaces', 'metrics', 'status', 'finalize', 'deployments.apps', 'nvidia_gpu_duty_cycle', '%C3%A9', '%00',
);
const segment = fc.array(segmentChars, { minLength: 0, maxLength: 6 }).map((parts) => parts.join(''));
const prefix = fc.constantFrom(
  '/apis/custom.metrics.k8s.io/v1beta1', '/apis/custom.metrics.k8s.io/v1beta2', '/apis/custom.metrics.k8s.io/v1beta3',
  '/apis/external.metrics.k8s.io/v1beta1', '/apis/external.metrics.k8s.io/v2', '/apis', '/openapi/v3', '', '/apis/custom.metrics.k8s.io',
);
const selectorChars = fc.constantFrom(
  'a', 'b', 'app', '=', '==', '!=', '!', ' in ', ' notin ', '(', ')', ',', ' ', '>', '<', '1', '-1', 'x/y', '.', '%', '"', '\\', '\t', 'é',
);
const selector = fc.array(selectorChars, { maxLength: 20 }).map((p) => p.join(''));
const query = fc.record({
  labelSelector: fc.option(selector),
  metricLabelSelector: fc.option(selector),
  junk: fc.option(fc.string({ maxLength: 30 })),
});

function buildPath(pre: string, segs: string[], q: { labelSelector: string | null; metricLabelSelector: string | null; junk: string | null }): string {
  const params = new URLSearchParams();
  if (q.labelSelector !== null) params.set('labelSelector', q.labelSelector);
  if (q.metricLabelSelector !== null) params.set('metricLabelSelector', q.metricLabelSelector);
  if (q.junk !== null) params.set(q.junk, q.junk);
  const qs = params.toString();
  return `${pre}/${segs.join('/')}${qs ? `?${qs}` : ''}`;
}

describe('metrics API under malformed input (fuzz, fixed seed)', function () {
  this.timeout(120_000);
  let server: Server;
  let port: number;

  before(async () => {
    const provider = new StoreProvider({ store: loadedStore(), resolveResource });
    const app = createApiApp({ custom: provider, external: provider, checks: [], log: silentLogger });
    server = createServer({ maxHeaderSize: 64 * 1024 }, app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function expectClean(path: string, r: Reply): void {
    expect(r.status, `${path} → ${r.status} ${r.body}`).to.be.below(500);
    if (r.status >= 400) {
      const body = JSON.parse(r.body) as { kind: string; code: number; reason: string };
      expect(body.kind, path).to.equal('Status');
      expect(body.code, path).to.equal(r.status);
    }
  }

  it(`answers ${RUNS} generated paths and selectors with 2xx/4xx and a Status body`, async () => {
    await fc.assert(
      fc.asyncProperty(prefix, fc.array(segment, { maxLength: 7 }), query, async (pre, segs, q) => {
        const path = buildPath(pre, segs, q);
        expectClean(path, await get(port, path));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('refuses huge query strings with a 4xx Status', async () => {
    for (const size of [17 * 1024, 40 * 1024]) {
      const path = `/apis/custom.metrics.k8s.io/v1beta2/namespaces/ml/pods/*/nvidia_gpu_duty_cycle?labelSelector=${'a'.repeat(size)}`;
      const r = await get(port, path);
      expect(r.status).to.be.within(400, 499);
      expectClean(path, r);
    }
    const selectorPath = `/apis/custom.metrics.k8s.io/v1beta2/namespaces/ml/pods/p/nvidia_gpu_duty_cycle?metricLabelSelector=${encodeURIComponent('a in ('.repeat(1500))}`;
    expectClean(selectorPath, await get(port, selectorPath));
  });

  it('answers unknown versions, methods and Accept headers with a Status', async () => {
    expectClean('/apis/custom.metrics.k8s.io/v9', await get(port, '/apis/custom.metrics.k8s.io/v9/namespaces/ml/pods/*/x'));
    const r = await get(port, '/apis/external.metrics.k8s.io/v1beta1', { accept: 'application/vnd.kubernetes.protobuf' });
    expect(r.status).to.equal(406);
    expect(await get(port, '/apis/custom.metrics.k8s.io/v1beta2')).to.have.property('status', 200);
  });
});
