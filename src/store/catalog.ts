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
}

/** A user rule may serve a built-in name for more resources; keep one definition per name. */
function mergeCustom(prev: CustomMetricDef | undefined, next: CustomMetricDef): CustomMetricDef {
  if (!prev) return next;
  const resources = [...new Set([...prev.resources, ...next.resources])];
  return { ...next, resources };
}
