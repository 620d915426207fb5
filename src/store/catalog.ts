/**
 * The metric catalog: every metric the adapter can serve, where it lives in the metrics
 * APIs and how several series of one object combine into the object's value.
 */
export type Aggregation = 'mean' | 'max' | 'sum';

export interface CustomMetricDef {
  readonly api: 'custom';
  readonly name: string;
  /** Canonical resources it is served for (`pods`, `nodes`, `deployments.apps`). */
  readonly resources: readonly string[];
  readonly aggregation: Aggregation;
  /** Oldest sample age served, ms. */
  readonly maxAgeMs: number;
  readonly description: string;
}

export interface ExternalMetricDef {
  readonly api: 'external';
  readonly name: string;
  readonly maxAgeMs: number;
  readonly description: string;
  /**
   * When the request's selector does not name this label, only series whose label has
   * `value` are returned (BullMQ: `queue_type=total`, so an HPA summing the list never double counts).
   */
  readonly defaultLabel?: { readonly key: string; readonly value: string };
  /** Series belong to a namespace (their target's `namespace`); a request sees only its namespace's. */
  readonly namespaced?: boolean;
}

export type MetricDef = CustomMetricDef | ExternalMetricDef;

const GPU_MAX_AGE_MS = 120_000;
const STORAGE_MAX_AGE_MS = 180_000;
const QUEUE_MAX_AGE_MS = 30_000;

/** The built-in catalog (DESIGN.md, "Metric catalog"). */
export function builtinCatalog(): MetricDef[] {
  const storage = (name: string, description: string): CustomMetricDef => ({
    api: 'custom', name, resources: ['pods'], aggregation: 'sum', maxAgeMs: STORAGE_MAX_AGE_MS, description,
  });
  return [
    {
      api: 'custom', name: 'nvidia_gpu_duty_cycle', resources: ['pods', 'nodes'], aggregation: 'mean',
      maxAgeMs: GPU_MAX_AGE_MS, description: '% of time a kernel ran (0-100), mean over the GPUs of the object',
    },
    {
      api: 'custom', name: 'gpu_memory_utilization', resources: ['pods'], aggregation: 'max',
      maxAgeMs: GPU_MAX_AGE_MS, description: '% of framebuffer used, the fullest GPU of the pod',
    },
    storage('storage_read_bytes_per_second', 'bytes read per second'),
    storage('storage_write_bytes_per_second', 'bytes written per second'),
    storage('storage_read_iops', 'read operations per second'),
    storage('storage_write_iops', 'write operations per second'),
    storage('storage_iops', 'read and write operations per second'),
    {
      api: 'external', name: 'redis_queue_depth', maxAgeMs: QUEUE_MAX_AGE_MS,
      description: 'BullMQ jobs by queue_name, queue_type and prefix',
      defaultLabel: { key: 'queue_type', value: 'total' },
    },
  ];
}

/** Looks metrics up by API and name. */
export class Catalog {
  private readonly custom = new Map<string, CustomMetricDef>();
  private readonly external = new Map<string, ExternalMetricDef>();
  private readonly runtime = new Set<string>();
  /** Runtime metrics kept out of discovery (per-policy internals), so it stays small and stable. */
  private readonly unlisted = new Set<string>();
  /** Bumped on every register/unregister, so readers can cache what they derive from the catalog. */
  generation = 0;

  constructor(defs: readonly MetricDef[]) {
    for (const d of defs) {
      if (d.api === 'custom') this.custom.set(d.name, mergeCustom(this.custom.get(d.name), d));
      else this.external.set(d.name, d);
    }
  }

  customMetric(name: string): CustomMetricDef | undefined {
    return this.custom.get(name);
  }

  externalMetric(name: string): ExternalMetricDef | undefined {
    return this.external.get(name);
  }

  customMetrics(): CustomMetricDef[] {
    return [...this.custom.values()];
  }

  externalMetrics(): ExternalMetricDef[] {
    return [...this.external.values()];
  }

  /**
   * Adds a metric after start (a policy's PromQL metric, a prometheus-adapter rule's series).
   * Lookups see it at once; discovery lists it only when `listed` (the HPA asks for metrics by
   * name and never needs the list; per-policy internals would only bloat it).
   * A name already in the catalog is refused, so a runtime metric never shadows another one.
   */
  register(def: MetricDef, opts: { listed?: boolean } = {}): void {
    if (this.custom.has(def.name) || this.external.has(def.name)) throw new Error(`metric ${def.name} is already in the catalog`);
    if (def.api === 'custom') this.custom.set(def.name, def);
    else this.external.set(def.name, def);
    this.runtime.add(def.name);
    if (!opts.listed) this.unlisted.add(def.name);
    this.generation += 1;
  }

  /** Whether discovery lists `name` (everything but runtime metrics registered unlisted). */
  isListed(name: string): boolean {
    return !this.unlisted.has(name);
  }

  /** Removes a metric added with register(); built-in and configured metrics stay. */
  unregister(name: string): void {
    if (!this.runtime.delete(name)) return;
    this.custom.delete(name);
    this.external.delete(name);
    this.unlisted.delete(name);
    this.generation += 1;
  }
}

/** A user rule may serve a built-in name for more resources; keep one definition per name. */
function mergeCustom(prev: CustomMetricDef | undefined, next: CustomMetricDef): CustomMetricDef {
  if (!prev) return next;
  const resources = [...new Set([...prev.resources, ...next.resources])];
  return { ...next, resources };
}
