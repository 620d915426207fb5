/** Trigger metadata parsing and the wire values built from it (pure). */
import { expect } from 'chai';
import { Catalog, builtinCatalog } from '../../src/store/index.js';
import { parseTriggerMetadata, TriggerMetadataError, METADATA_KEYS } from '../../src/keda/index.js';
import { metricNameOf } from '../../src/keda/trigger-metadata.js';
import { isActive, metricSpecOf, metricValueOf, toInt64 } from '../../src/keda/wire-values.js';

const catalog = new Catalog([
  ...builtinCatalog(),
  { api: 'external', name: 'app_backlog', maxAgeMs: 60_000, description: 'rule' },
]);
const parse = (m: Record<string, string>, ns = 'apps') => parseTriggerMetadata(m, ns, catalog);

describe('keda trigger metadata', () => {
  it('knows exactly the documented keys', () => {
    expect(METADATA_KEYS).to.deep.equal([
      'metric', 'namespace', 'resource', 'labelSelector', 'metricLabelSelector', 'queueName', 'queueType', 'prefix',
      'targetValue', 'activationThreshold', 'aggregation',
    ]);
  });

  it('queue trigger: series selected by queue name and prefix, summed, activation 0 by default', () => {
    const s = parse({ metric: 'redis_queue_depth', queueName: '{stt}', prefix: '{bull}', targetValue: '10' });
    expect(s.metricName).to.equal('redis-queue-depth-stt');
    expect(s.target).to.equal(10);
    expect(s.activationThreshold).to.equal(0);
    expect(s.read.api).to.equal('external');
    if (s.read.api !== 'external') return;
    expect(s.read.aggregation).to.equal('sum');
    expect(s.read.queue).to.deep.equal({ name: '{stt}', prefix: '{bull}' });
    expect(s.read.series.matches({ queue_name: '{stt}', prefix: '{bull}', queue_type: 'total' })).to.equal(true);
    expect(s.read.series.matches({ queue_name: '{stt}', prefix: 'bull', queue_type: 'total' })).to.equal(false);
    expect(s.read.series.mentions('queue_type')).to.equal(false);
  });

  it('labelSelector and metricLabelSelector both select series of an external metric', () => {
    const s = parse({ metric: 'app_backlog', labelSelector: 'queue=stt', metricLabelSelector: 'tier in (gold)', targetValue: '1' });
    if (s.read.api !== 'external') throw new Error('external expected');
    expect(s.read.series.matches({ queue: 'stt', tier: 'gold' })).to.equal(true);
    expect(s.read.series.matches({ queue: 'stt', tier: 'silver' })).to.equal(false);
    expect(s.read.queue).to.equal(undefined);
  });

  it('pod metric: namespace defaults to the ScaledObject\'s, aggregation to the catalog\'s', () => {
    const s = parse({ metric: 'nvidia_gpu_duty_cycle', labelSelector: 'app=stt', targetValue: '70', activationThreshold: '5' });
    if (s.read.api !== 'custom') throw new Error('custom expected');
    expect([s.read.resource.resource, s.read.namespace, s.read.aggregation, s.read.objects.toString()]).to.deep.equal(['pods', 'apps', 'mean', 'app=stt']);
    const io = parse({ metric: 'storage_read_bytes_per_second', namespace: 'media', targetValue: '500M' });
    if (io.read.api !== 'custom') throw new Error('custom expected');
    expect([io.read.namespace, io.read.aggregation, io.target]).to.deep.equal(['media', 'sum', 500e6]);
  });

  it('nodes are cluster-scoped: no namespace', () => {
    const s = parse({ metric: 'nvidia_gpu_duty_cycle', resource: 'nodes', targetValue: '70' });
    if (s.read.api !== 'custom') throw new Error('custom expected');
    expect([s.read.resource.resource, s.read.namespace]).to.deep.equal(['nodes', undefined]);
  });

  it('equal reads share a key whatever the target; different reads do not', () => {
    const a = parse({ metric: 'redis_queue_depth', queueName: 'q', targetValue: '5' });
    const b = parse({ metric: 'redis_queue_depth', queueName: 'q', targetValue: '50', scalerAddress: 'x:1' });
    const c = parse({ metric: 'redis_queue_depth', queueName: 'q', queueType: 'delayed', targetValue: '5' });
    expect(a.readKey).to.equal(b.readKey);
    expect(a.readKey).to.not.equal(c.readKey);
  });

  it('reports every bad key at once, each by name', () => {
    try {
      parse({ metric: 'redis_queue_depth', targetValue: '-1', activationThreshold: 'x' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(TriggerMetadataError);
      expect((err as Error).message).to.match(/metadata\.targetValue: must be > 0.*; metadata\.activationThreshold: must be a number/);
    }
  });

  it('metric names are lowercase [a-z0-9-], at most 100 characters', () => {
    expect(metricNameOf({ metric: 'redis_queue_depth', queueName: 'Emails.High_Prio' })).to.equal('redis-queue-depth-emails-high-prio');
    const long = metricNameOf({ metric: 'redis_queue_depth', queueName: 'x'.repeat(200) });
    expect(long).to.match(/^[a-z0-9-]+$/).and.have.length.at.most(100);
  });
});

describe('keda wire values', () => {
  const spec = parse({ metric: 'redis_queue_depth', queueName: 'q', targetValue: '0.4', activationThreshold: '2' });

  it('fills int64 and double; the int64 target is never below 1', () => {
    expect(metricSpecOf(spec)).to.deep.equal({ metricName: 'redis-queue-depth-q', targetSize: 1, targetSizeFloat: 0.4 });
    expect(metricValueOf(spec, 2.5)).to.deep.equal({ metricName: 'redis-queue-depth-q', metricValue: 3, metricValueFloat: 2.5 });
    expect(toInt64(1e300)).to.equal(Number.MAX_SAFE_INTEGER);
  });

  it('activation is strictly above the threshold', () => {
    expect([isActive(spec, 2).result, isActive(spec, 2.001).result]).to.deep.equal([false, true]);
  });
});
