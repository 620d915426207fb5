/**
 * MetricStore.replaceSeries, the write path of the push re-read: one queue's series are
 * replaced, everything else (other queues, source health) stays as the last poll left it.
 */
import { expect } from 'chai';
import { MetricStore, Catalog, builtinCatalog, type MetricPoint } from '../../src/store/index.js';
import { parseSelector } from '../../src/apiserver/index.js';

const point = (queue: string, value: number, atMs: number): MetricPoint => ({
  metric: 'redis_queue_depth', target: { kind: 'external' }, labels: { queue_name: queue, queue_type: 'total', prefix: 'bull' }, value, timestampMs: atMs,
});
const isQueue = (name: string) => (p: MetricPoint) => p.labels.queue_name === name;

describe('MetricStore.replaceSeries (push re-read)', () => {
  const now = Date.now();
  const store = new MetricStore(new Catalog(builtinCatalog()), () => now);
  store.registerSource('bullmq:x', ['redis_queue_depth']);
  const values = () => {
    const r = store.externalValues('redis_queue_depth', parseSelector(''));
    if (!r.ok) throw new Error(JSON.stringify(r.failure));
    return Object.fromEntries(r.value.map((s) => [s.labels.queue_name, s.value]));
  };

  it('replaces only the selected series, adds new ones and removes vanished ones', () => {
    store.replace('bullmq:x', [point('a', 1, now), point('b', 2, now)], now);
    store.replaceSeries('bullmq:x', isQueue('a'), [point('a', 5, now)]);
    expect(values()).to.deep.equal({ a: 5, b: 2 });
    store.replaceSeries('bullmq:x', isQueue('c'), [point('c', 7, now)]);
    expect(values()).to.deep.equal({ a: 5, b: 2, c: 7 });
    store.replaceSeries('bullmq:x', isQueue('a'), []);
    expect(values()).to.deep.equal({ b: 2, c: 7 });
  });

  it('leaves source health alone: a failing source stays failing', () => {
    store.fail('bullmq:x', 'ECONNREFUSED', now);
    store.replaceSeries('bullmq:x', isQueue('b'), [point('b', 9, now)]);
    const r = store.externalValues('redis_queue_depth', parseSelector(''));
    expect(r.ok).to.equal(false);
    store.replace('bullmq:x', [point('b', 9, now)], now);
    expect(values()).to.deep.equal({ b: 9 });
  });
});
