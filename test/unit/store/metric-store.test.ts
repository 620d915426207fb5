import { expect } from 'chai';
import { Catalog, MetricStore, builtinCatalog, type MetricPoint } from '../../../src/store/index.js';
import { everything, parseSelector } from '../../../src/apiserver/index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function gpu(pod: string, value: number, extra: Record<string, string> = {}, at = T0): MetricPoint {
  return {
    metric: 'nvidia_gpu_duty_cycle',
    target: { kind: 'object', resource: 'pods', namespace: 'ml', name: pod },
    labels: { gpu: extra.gpu ?? '0', ...extra },
    value,
    timestampMs: at,
  };
}

function queue(name: string, type: string, value: number, at = T0): MetricPoint {
  return { metric: 'redis_queue_depth', target: { kind: 'external' }, labels: { queue_name: name, queue_type: type, prefix: 'bull' }, value, timestampMs: at };
}

describe('MetricStore', () => {
  let now = T0;
  let store: MetricStore;

  beforeEach(() => {
    now = T0;
    store = new MetricStore(new Catalog(builtinCatalog()), () => now);
    store.registerSource('dcgm:a', ['nvidia_gpu_duty_cycle', 'gpu_memory_utilization']);
    store.registerSource('bullmq:r', ['redis_queue_depth']);
  });

  it('averages the GPUs of a pod (mean is the duty cycle default)', () => {
    store.replace('dcgm:a', [gpu('p1', 90, { gpu: '0' }), gpu('p1', 70, { gpu: '1' }), gpu('p2', 10)]);
    const r = store.objectValues('nvidia_gpu_duty_cycle', 'pods', 'ml', ['p1', 'p2', 'gone'], everything);
    expect(r.ok && r.value.map((v) => [v.name, v.value])).to.deep.equal([['p1', 80], ['p2', 10]]);
  });

  it('filters series with the metric label selector before combining them', () => {
    store.replace('dcgm:a', [gpu('p1', 90, { gpu: '0' }), gpu('p1', 70, { gpu: '1' })]);
    const r = store.objectValues('nvidia_gpu_duty_cycle', 'pods', 'ml', ['p1'], parseSelector('gpu=1'));
    expect(r.ok && r.value[0]?.value).to.equal(70);
  });

  it('reports a source that has not polled yet as unavailable, never as zero', () => {
    const r = store.objectValues('nvidia_gpu_duty_cycle', 'pods', 'ml', ['p1'], everything);
    expect(r.ok).to.equal(false);
    expect(!r.ok && r.failure.kind).to.equal('unavailable');
    expect(!r.ok && r.failure.kind === 'unavailable' && r.failure.message).to.contain('has not completed its first poll');
  });

  it('reports a failing source with its last error', () => {
    store.replace('bullmq:r', [queue('q', 'total', 3)]);
    store.fail('bullmq:r', 'connect ECONNREFUSED 127.0.0.1:6379');
    const r = store.externalValues('redis_queue_depth', everything);
    expect(!r.ok && r.failure.kind === 'unavailable' && r.failure.message).to.contain('ECONNREFUSED');
  });

  it('treats a source whose last success is older than maxAge as unavailable', () => {
    store.replace('bullmq:r', [queue('q', 'total', 3)]);
    now = T0 + 31_000;
    const r = store.externalValues('redis_queue_depth', everything);
    expect(!r.ok && r.failure.kind === 'unavailable' && r.failure.message).to.match(/last answered 31s ago/);
  });

  it('leaves out pods whose own sample is stale while the source is healthy', () => {
    now = T0 + 200_000;
    store.replace('dcgm:a', [gpu('p1', 50, {}, T0), gpu('p2', 60, {}, now)]);
    const r = store.objectValues('nvidia_gpu_duty_cycle', 'pods', 'ml', ['p1', 'p2'], everything);
    expect(r.ok && r.value.map((v) => v.name)).to.deep.equal(['p2']);
    expect(store.hasStaleSample('nvidia_gpu_duty_cycle', 'pods', 'ml', 'p1')).to.equal(true);
  });

  it('answers only the total queue series unless the selector names queue_type', () => {
    store.replace('bullmq:r', [queue('q', 'total', 10), queue('q', 'waiting', 7), queue('q', 'delayed', 2)]);
    const total = store.externalValues('redis_queue_depth', parseSelector('queue_name=q'));
    expect(total.ok && total.value.map((s) => s.value)).to.deep.equal([10]);
    const delayed = store.externalValues('redis_queue_depth', parseSelector('queue_name=q,queue_type=delayed'));
    expect(delayed.ok && delayed.value.map((s) => s.value)).to.deep.equal([2]);
    const some = store.externalValues('redis_queue_depth', parseSelector('queue_type in (waiting,delayed)'));
    expect(some.ok && some.value.map((s) => s.value).sort()).to.deep.equal([2, 7]);
  });

  it('never stores a non-finite value', () => {
    store.replace('dcgm:a', [gpu('p1', Number.NaN), gpu('p2', Number.POSITIVE_INFINITY), gpu('p3', 5)]);
    const r = store.objectValues('nvidia_gpu_duty_cycle', 'pods', 'ml', ['p1', 'p2', 'p3'], everything);
    expect(r.ok && r.value.map((v) => v.name)).to.deep.equal(['p3']);
  });

  it('says which metrics have no source and which are unknown', () => {
    const none = store.objectValues('storage_iops', 'pods', 'ml', ['p'], everything);
    expect(!none.ok && none.failure.kind).to.equal('no-source');
    const unknown = store.externalValues('nope', everything);
    expect(!unknown.ok && unknown.failure.kind).to.equal('unknown-metric');
  });

  it('stamps an object with the time of its oldest series', () => {
    store.replace('dcgm:a', [gpu('p1', 90, { gpu: '0' }, T0 - 5000), gpu('p1', 70, { gpu: '1' }, T0)]);
    const r = store.objectValues('nvidia_gpu_duty_cycle', 'pods', 'ml', ['p1'], everything);
    expect(r.ok && r.value[0]?.timestampMs).to.equal(T0 - 5000);
  });
});
