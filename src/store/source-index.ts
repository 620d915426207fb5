import type { MetricPoint } from './types.js';

type ByName = Map<string, MetricPoint[]>;
type ByNamespace = Map<string, ByName>;
type ByResource = Map<string, ByNamespace>;

/** Cluster-scoped objects are filed under this namespace key. */
const CLUSTER = '';

/**
 * The points of one source, indexed for the lookups requests make:
 * metric → resource → namespace → object name → points, and metric → external points.
 */
export class SourceIndex {
  private constructor(
    private readonly objects: Map<string, ByResource>,
    private readonly external: Map<string, MetricPoint[]>,
    readonly newestMs: number | undefined,
  ) {}

  static empty(): SourceIndex {
    return new SourceIndex(new Map(), new Map(), undefined);
  }

  static build(points: readonly MetricPoint[]): SourceIndex {
    const objects = new Map<string, ByResource>();
    const external = new Map<string, MetricPoint[]>();
    let newest: number | undefined;
    for (const p of points) {
      newest = newest === undefined ? p.timestampMs : Math.max(newest, p.timestampMs);
      if (p.target.kind === 'external') {
        push(external, p.metric, p);
        continue;
      }
      const byResource = getOrSet(objects, p.metric, () => new Map());
      const byNs = getOrSet(byResource, p.target.resource, () => new Map());
      const byName = getOrSet(byNs, p.target.namespace ?? CLUSTER, () => new Map());
      push(byName, p.target.name, p);
    }
    return new SourceIndex(objects, external, newest);
  }

  objectPoints(metric: string, resource: string, namespace: string | undefined, name: string): MetricPoint[] {
    return this.objects.get(metric)?.get(resource)?.get(namespace ?? CLUSTER)?.get(name) ?? [];
  }

  objectNames(metric: string, resource: string, namespace: string | undefined): Iterable<string> {
    return this.objects.get(metric)?.get(resource)?.get(namespace ?? CLUSTER)?.keys() ?? [];
  }

  externalPoints(metric: string): MetricPoint[] {
    return this.external.get(metric) ?? [];
  }
}

function getOrSet<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) {
    v = make();
    m.set(k, v);
  }
  return v;
}

function push<K>(m: Map<K, MetricPoint[]>, k: K, p: MetricPoint): void {
  getOrSet(m, k, () => []).push(p);
}
