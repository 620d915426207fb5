import { expect } from 'chai';
import { PolicyMetrics } from '../../../src/policies/policy-metrics.js';
import { Catalog, MetricStore, builtinCatalog } from '../../../src/store/index.js';
import { silentLogger } from '../../../src/util/log.js';
import { freePort } from '../../helpers/ports.js';

const Q = { metric: 'aiap:ml:llm:request_queue_depth', query: 'sum(q)', resource: 'deployments.apps', namespace: 'ml', name: 'llm' };

describe('PolicyMetrics: runtime catalog registration', () => {
  // Nothing listens here: the poll fails, as with a Prometheus that is down. Serving real values
  // from a real Prometheus is covered by test/e2e/policy-controller.test.ts.
  let url = '';
  before(async () => {
    url = `http://127.0.0.1:${await freePort()}`;
  });

  it('without a Prometheus the policy\'s metrics are reported, not registered', async () => {
    const store = new MetricStore(new Catalog(builtinCatalog()));
    const m = new PolicyMetrics({ store, log: silentLogger });
    expect(await m.sync('ml/llm', [Q])).to.deep.include({ ok: false, reason: 'NoPrometheus' });
    expect(store.catalog.customMetric(Q.metric)).to.equal(undefined);
    expect(await m.sync('ml/other', [])).to.deep.include({ ok: true });
  });

  it('registers the metrics, reports a failing query, and removes everything with the policy', async () => {
    const store = new MetricStore(new Catalog(builtinCatalog()));
    const m = new PolicyMetrics({ store, prometheus: { url, timeoutMs: 2000, intervalMs: 60_000 }, log: silentLogger });
    const first = await m.sync('ml/llm', [Q]);
    expect(first.ok).to.equal(false);
    expect(store.allPolledOnce(), 'readiness never waits on a runtime source').to.equal(true);
    expect(first).to.deep.include({ reason: 'FirstPollPending' });
    expect(store.catalog.customMetric(Q.metric)?.resources).to.deep.equal(['deployments.apps']);
    for (let i = 0; i < 100 && m.state('ml/llm').ok === false && (m.state('ml/llm') as { reason: string }).reason === 'FirstPollPending'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const failing = m.state('ml/llm');
    expect(failing).to.deep.include({ ok: false, reason: 'QueryFailing' });
    expect(failing.message).to.contain('query for aiap:ml:llm:request_queue_depth failed');
    expect(await m.sync('ml/llm', [Q]), 'same queries: nothing restarts').to.deep.equal(failing);
    expect(() => store.catalog.register({ api: 'custom', name: 'nvidia_gpu_duty_cycle', resources: ['pods'], aggregation: 'max', maxAgeMs: 1, description: '' }))
      .to.throw('already in the catalog');
    await m.remove('ml/llm');
    expect(store.catalog.customMetric(Q.metric)).to.equal(undefined);
    expect(store.health().map((h) => h.id)).to.not.include('policy:ml/llm');
    store.catalog.unregister('nvidia_gpu_duty_cycle');
    expect(store.catalog.customMetric('nvidia_gpu_duty_cycle'), 'built-ins cannot be unregistered').to.not.equal(undefined);
    await m.stop();
  });
});
