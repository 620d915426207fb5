import { expect } from 'chai';
import { Catalog, MetricStore, builtinCatalog, type MetricPoint } from '../../../src/store/index.js';
import { parseSelector } from '../../../src/apiserver/index.js';
import { AnswerCache } from '../../../src/apiserver/answer-cache.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const GPU = 'nvidia_gpu_duty_cycle';
const QUEUE = 'redis_queue_depth';

function gpu(pod: string, at: number): MetricPoint {
  return { metric: GPU, target: { kind: 'object', resource: 'pods', namespace: 'ml', name: pod }, labels: { gpu: '0' }, value: 50, timestampMs: at };
}

function queue(name: string, type: string, value: number): MetricPoint {
  return { metric: QUEUE, target: { kind: 'external' }, labels: { queue_name: name, queue_type: type, prefix: 'bull' }, value, timestampMs: T0 };
}

describe('MetricStore answer validity', () => {
  let now = T0;
  let store: MetricStore;
  const maxAge = (metric: string) => store.catalog.customMetric(metric)?.maxAgeMs ?? store.catalog.externalMetric(metric)?.maxAgeMs ?? NaN;

  beforeEach(() => {
    now = T0;
    store = new MetricStore(new Catalog(builtinCatalog()), () => now);
    store.registerSource('dcgm:a', [GPU, 'gpu_memory_utilization']);
    store.registerSource('bullmq:r', [QUEUE]);
  });

  it("changes a metric's token on writes to its sources only", () => {
    const gpuToken = store.changeToken(GPU);
    const queueToken = store.changeToken(QUEUE);
    store.replace('bullmq:r', [queue('q', 'total', 1)]);
    expect(store.changeToken(GPU)).to.equal(gpuToken);
    expect(store.changeToken(QUEUE)).to.not.equal(queueToken);
    store.fail('dcgm:a', 'down');
    expect(store.changeToken(GPU)).to.not.equal(gpuToken);
  });

  it('holds until the oldest still-fresh sample or the last success reaches maxAge', () => {
    const age = maxAge(GPU);
    store.replace('dcgm:a', [gpu('old', T0 - age - 1), gpu('p1', T0 - 2_000), gpu('p2', T0 - 1_000)], T0);
    // The already-stale sample is never served, so it does not shorten anything.
    expect(store.freshUntil(GPU)).to.equal(T0 - 2_000 + age);
    store.replace('dcgm:a', [gpu('p1', T0 + 5_000)], T0 - 1_000);
    expect(store.freshUntil(GPU)).to.equal(T0 - 1_000 + age);
  });

  it('answers external queries from the label index exactly as a full scan would', () => {
    const points = ['a', 'b', 'c'].flatMap((name, i) => ['waiting', 'delayed', 'total'].map((type, j) => queue(name, type, i * 10 + j)));
    store.replace('bullmq:r', points);
    for (const text of ['', 'queue_name=b', 'queue_name in (a,c),queue_type=delayed', 'queue_name=b,queue_type', 'queue_name=zzz', 'queue_name!=a', 'prefix=bull']) {
      const selector = parseSelector(text);
      const fromIndex = store.externalValues(QUEUE, selector);
      const scan = store.externalValues(QUEUE, { matches: (l) => selector.matches(l), mentions: (k) => selector.mentions(k) });
      expect(fromIndex, text).to.deep.equal(scan);
    }
  });
});

describe('AnswerCache', () => {
  it('serves an answer while the token holds and until its time, never after', () => {
    let token = 't1';
    let now = 1_000;
    const cache = new AnswerCache({ answerToken: () => token, answerValidUntil: () => 2_000 }, () => now);
    cache.set('/u', 'm', 'external', Buffer.from('{}'));
    expect(cache.get('/u')?.body.toString()).to.equal('{}');
    now = 2_000;
    expect(cache.get('/u')).to.not.equal(undefined);
    now = 2_001;
    expect(cache.get('/u')).to.equal(undefined);
    now = 1_000;
    cache.set('/u', 'm', 'external', Buffer.from('{}'));
    token = 't2';
    expect(cache.get('/u')).to.equal(undefined);
  });

  it('caches nothing when the provider cannot tell validity', () => {
    const cache = new AnswerCache({ answerToken: () => undefined, answerValidUntil: () => Infinity });
    cache.set('/u', 'm', 'external', Buffer.from('{}'));
    expect(cache.get('/u')).to.equal(undefined);
  });

  it('drops answers that can no longer be served when another is stored, without waiting for their URL', () => {
    let now = T0;
    const tokens: Record<string, string> = { [GPU]: 'g1', [QUEUE]: 'q1' };
    const cache = new AnswerCache({ answerToken: (metric) => tokens[metric], answerValidUntil: () => now + 60_000 }, () => now);
    const body = (text: string) => Buffer.from(text);
    for (const ns of ['a', 'b', 'c']) cache.set(`/gpu/${ns}`, GPU, 'custom', body(ns));
    cache.set('/queue', QUEUE, 'external', body('q'));
    expect(cache.size).to.equal(4);
    tokens[GPU] = 'g2';
    cache.set('/queue/other', QUEUE, 'external', body('q2'));
    expect(cache.size, 'the three GPU answers are gone').to.equal(2);
    now += 61_000;
    cache.set('/gpu/a', GPU, 'custom', body('a2'));
    expect(cache.size, 'expired queue answers are gone too').to.equal(1);
    expect(cache.get('/gpu/a')?.body.toString()).to.equal('a2');
  });
});
