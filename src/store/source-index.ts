import type { MetricPoint } from './types.js';

type ByName = Map<string, MetricPoint[]>;
type ByNamespace = Map<string, ByName>;
type ByResource = Map<string, ByNamespace>;
/** Label key → label value → points. */
type ByLabel = Map<string, Map<string, MetricPoint[]>>;

/** Cluster-scoped objects are filed under this namespace key. */
const CLUSTER = '';

/**
 * The points of one source, indexed for the lookups requests make:
 * metric → resource → namespace → object name → points, and metric → external points, also
 * by each label's value (an external query names a queue out of thousands of series).
 */
export class SourceIndex {
  private constructor(
    private readonly objects: Map<string, ByResource>,
    private readonly external: Map<string, MetricPoint[]>,
    private readonly externalByLabel: Map<string, ByLabel>,
    readonly newestMs: number | undefined,
  ) {}

  static empty(): SourceIndex {
    return new SourceIndex(new Map(), new Map(), new Map(), undefined);
  }

  static build(points: readonly MetricPoint[]): SourceIndex {
    const objects = new Map<string, ByResource>();
    const external = new Map<string, MetricPoint[]>();
    const externalByLabel = new Map<string, ByLabel>();
    let newest: number | undefined;
    for (const p of points) {
      newest = newest === undefined ? p.timestampMs : Math.max(newest, p.timestampMs);
      if (p.target.kind === 'external') {
        push(external, p.metric, p);
        const byLabel = getOrSet(externalByLabel, p.metric, newMap);
        for (const key of Object.keys(p.labels)) push(getOrSet(byLabel, key, newMap), p.labels[key] ?? '', p);
        continue;
      }
      const byResource = getOrSet(objects, p.metric, newMap);
      const byNs = getOrSet(byResource, p.target.resource, newMap);
      const byName = getOrSet(byNs, p.target.namespace ?? CLUSTER, newMap);
      push(byName, p.target.name, p);
    }
    return new SourceIndex(objects, external, externalByLabel, newest);
  }

  objectPoints(metric: string, resource: string, namespace: string | undefined, name: string): MetricPoint[] {
    return this.objects.get(metric)?.get(resource)?.get(namespace ?? CLUSTER)?.get(name) ?? [];
  }

  objectNames(metric: string, resource: string, namespace: string | undefined): Iterable<string> {
    return this.objects.get(metric)?.get(resource)?.get(namespace ?? CLUSTER)?.keys() ?? [];
  }

  /**
   * The external points of `metric`; with `pinned` (label key → allowed values), a superset of
   * those that have one of the allowed values for every key, taken from the smallest bucket.
   * The caller still applies its full selector.
   */
  externalPoints(metric: string, pinned?: ReadonlyMap<string, readonly string[]>): MetricPoint[] {
    const all = this.external.get(metric) ?? [];
    const byLabel = this.externalByLabel.get(metric);
    let best = all;
    for (const [key, values] of pinned ?? []) {
      const buckets = values.map((v) => byLabel?.get(key)?.get(v) ?? []);
      if (buckets.reduce((n, b) => n + b.length, 0) < best.length) best = buckets.length === 1 ? (buckets[0] ?? []) : buckets.flat();
    }
    return best;
  }
}

// Shared factories: an arrow written in place would be a new closure per call, four per point in build().
function newMap<K, V>(): Map<K, V> {
  return new Map();
}

function newArray(): MetricPoint[] {
  return [];
}

function getOrSet<K, V>(m: Map<K, V>, k: K, make: () => NoInfer<V>): V {
  let v = m.get(k);
  if (v === undefined) {
    v = make();
    m.set(k, v);
  }
  return v;
}

function push<K>(m: Map<K, MetricPoint[]>, k: K, p: MetricPoint): void {
  getOrSet(m, k, newArray).push(p);
}
