import { expect } from 'chai';
import { Catalog, MetricStore, builtinCatalog, type MetricPoint } from '../../../src/store/index.js';
import { StoreProvider, ProviderError, type ObjectLister } from '../../../src/provider/index.js';
import { everything, parseSelector, resolveResource } from '../../../src/apiserver/index.js';
import type { Labels, Selector } from '../../../src/util/labels.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const pods = resolveResource('pods')!;
const nodes = resolveResource('nodes')!;

function point(resource: string, name: string, value: number, namespace?: string): MetricPoint {
  return { metric: 'nvidia_gpu_duty_cycle', target: { kind: 'object', resource, namespace, name }, labels: {}, value, timestampMs: NOW };
}

class FakeCluster implements ObjectLister {
  constructor(private readonly objects: Record<string, Labels>) {}
  tracks(resource: string) {
    return resource === 'pods';
  }
  list(_r: string, namespace: string | undefined, selector: Selector) {
    return Object.entries(this.objects)
      .filter(([key, labels]) => key.startsWith(`${namespace}/`) && selector.matches(labels))
      .map(([key]) => key.split('/')[1]!);
  }
  exists(_r: string, namespace: string | undefined, name: string) {
    return `${namespace}/${name}` in this.objects;
  }
}

function setup(objects?: ObjectLister) {
  const store = new MetricStore(new Catalog(builtinCatalog()), () => NOW);
  store.registerSource('dcgm', ['nvidia_gpu_duty_cycle']);
  store.replace('dcgm', [point('pods', 'a', 90, 'ml'), point('pods', 'b', 30, 'ml'), point('pods', 'deleted', 99, 'ml'), point('nodes', 'n1', 40)]);
  return new StoreProvider({ store, resolveResource, objects });
}

function thrown(fn: () => unknown): ProviderError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a ProviderError');
}

describe('StoreProvider', () => {
  it('standalone: serves every pod its sources report', () => {
    const p = setup();
    const names = p.getMetricBySelector(pods, 'ml', everything, 'nvidia_gpu_duty_cycle', everything).map((v) => v.describedObject.name);
    expect(names.sort()).to.deep.equal(['a', 'b', 'deleted']);
  });

  it('standalone: a labelSelector is a 400 that says cluster mode is needed', () => {
    const err = thrown(() => setup().getMetricBySelector(pods, 'ml', parseSelector('app=x'), 'nvidia_gpu_duty_cycle', everything));
    expect(err.kind).to.equal('BadRequest');
    expect(err.message).to.contain('cluster mode');
  });

  it('cluster: intersects with live pods and evaluates labelSelector on their labels', () => {
    const p = setup(new FakeCluster({ 'ml/a': { app: 'stt' }, 'ml/b': { app: 'tts' } }));
    const all = p.getMetricBySelector(pods, 'ml', everything, 'nvidia_gpu_duty_cycle', everything);
    expect(all.map((v) => v.describedObject.name).sort()).to.deep.equal(['a', 'b']);
    const stt = p.getMetricBySelector(pods, 'ml', parseSelector('app=stt'), 'nvidia_gpu_duty_cycle', everything);
    expect(stt.map((v) => [v.describedObject.name, v.value])).to.deep.equal([['a', 90]]);
  });

  it('cluster: a deleted pod is NotFound even though a source still reports it', () => {
    const p = setup(new FakeCluster({ 'ml/a': {} }));
    expect(thrown(() => p.getMetricByName(pods, 'ml', 'deleted', 'nvidia_gpu_duty_cycle', everything)).kind).to.equal('NotFound');
  });

  it('describes objects with kind and a correct apiVersion', () => {
    const v = setup().getMetricByName(nodes, 'ignored-namespace', 'n1', 'nvidia_gpu_duty_cycle', everything);
    expect(v.describedObject).to.deep.equal({ kind: 'Node', apiVersion: 'v1', namespace: undefined, name: 'n1' });
  });

  it('unknown metric and metric on a resource it is not served for are NotFound', () => {
    const p = setup();
    expect(thrown(() => p.getMetricByName(pods, 'ml', 'a', 'nope', everything)).message).to.equal(
      'the server could not find the metric nope for pods',
    );
    expect(thrown(() => p.getMetricByName(nodes, undefined, 'n1', 'storage_iops', everything)).kind).to.equal('NotFound');
  });

  it('lists every catalog metric per resource for discovery', () => {
    const names = setup().listAllMetrics().map((m) => `${m.resource.resource}/${m.metric}`);
    expect(names).to.include.members(['pods/nvidia_gpu_duty_cycle', 'nodes/nvidia_gpu_duty_cycle', 'pods/storage_iops']);
    expect(setup().listAllExternalMetrics()).to.deep.equal([{ metric: 'redis_queue_depth' }]);
  });
});
