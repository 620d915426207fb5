import { GPU_DUTY_CYCLE, GPU_MEMORY_UTILIZATION } from './dcgm-points.js';

/**
 * The built-in PromQL (research/metric-sources.md §5.3) and how each result maps to a
 * target. Pure, so tests can read the exact text that goes to Prometheus.
 */

export type QueryTarget =
  | { readonly kind: 'pods'; readonly namespaceLabel: string; readonly podLabel: string }
  | { readonly kind: 'nodes'; readonly nodeLabel: string }
  | {
      readonly kind: 'object';
      readonly resource: string;
      readonly namespaceLabel: string;
      readonly objectLabel: string;
    }
  | { readonly kind: 'external' };

export interface QuerySpec {
  /** Catalog or rule name the points get. */
  readonly metric: string;
  readonly query: string;
  readonly target: QueryTarget;
  /** Keep the sample's other labels as series labels (user rules) or emit `{}` (built-ins). */
  readonly keepLabels: boolean;
  readonly windowSeconds?: number;
}

export const STORAGE_METRICS = [
  'storage_read_bytes_per_second',
  'storage_write_bytes_per_second',
  'storage_read_iops',
  'storage_write_iops',
  'storage_iops',
] as const;

/** Per-container series only: drops the pod-level cgroup and pause rows (`container=""`), which would double count. */
const CONTAINER_SELECTOR = '{container!="", container!="POD", namespace!="", pod!=""}';

const POD_TARGET: QueryTarget = { kind: 'pods', namespaceLabel: 'namespace', podLabel: 'pod' };

function podRate(counter: string, window: string): string {
  return `sum by (namespace, pod) (rate(${counter}${CONTAINER_SELECTOR}[${window}]))`;
}

/** cAdvisor storage throughput and IOPS per pod: rate per series, then sum the containers. */
export function storageQueries(window: string, windowSeconds: number): QuerySpec[] {
  const q = (metric: string, query: string): QuerySpec => ({
    metric,
    query,
    target: POD_TARGET,
    keepLabels: false,
    windowSeconds,
  });
  return [
    q('storage_read_bytes_per_second', podRate('container_fs_reads_bytes_total', window)),
    q('storage_write_bytes_per_second', podRate('container_fs_writes_bytes_total', window)),
    q('storage_read_iops', podRate('container_fs_reads_total', window)),
    q('storage_write_iops', podRate('container_fs_writes_total', window)),
    // `+` matches on (namespace, pod); both counters come from the same io.stat, so a pod has both or neither.
    q(
      'storage_iops',
      `${podRate('container_fs_reads_total', window)} + ${podRate('container_fs_writes_total', window)}`,
    ),
  ];
}

/**
 * Duty cycle per GPU series in %: GR_ENGINE_ACTIVE×100, else GPU_UTIL. `or` matches full
 * label sets, so the fallback is per GPU/slice exactly like the direct DCGM source; GPU_UTIL
 * is never taken on MIG slices. Out-of-range values (the 4294967295 glitch) are filtered.
 */
function dutyPerGpu(selector: string, window: string): string {
  const sel = selector ? `${selector}, ` : '';
  return (
    `((100 * avg_over_time(DCGM_FI_PROF_GR_ENGINE_ACTIVE{${selector}}[${window}]))` +
    ` or avg_over_time(DCGM_FI_DEV_GPU_UTIL{${sel}GPU_I_ID=""}[${window}])) >= 0 <= 100`
  );
}

/** DCGM via Prometheus: duty cycle (mean over the pod's GPUs), memory (fullest GPU), node duty cycle. */
export function gpuQueries(
  podLabel: string,
  namespaceLabel: string,
  window: string,
  windowSeconds: number,
): QuerySpec[] {
  const by = `${namespaceLabel}, ${podLabel}`;
  const mapped = `${namespaceLabel}!="", ${podLabel}!=""`;
  const fbUsed = `DCGM_FI_DEV_FB_USED{${mapped}}`;
  const fbFree = `DCGM_FI_DEV_FB_FREE{${mapped}}`;
  const target: QueryTarget = { kind: 'pods', namespaceLabel, podLabel };
  return [
    {
      metric: GPU_DUTY_CYCLE,
      query: `avg by (${by}) (${dutyPerGpu(mapped, window)})`,
      target,
      keepLabels: false,
      windowSeconds,
    },
    {
      metric: GPU_MEMORY_UTILIZATION,
      query: `max by (${by}) (100 * ${fbUsed} / ((${fbUsed} + ${fbFree}) > 0))`,
      target,
      keepLabels: false,
    },
    {
      metric: GPU_DUTY_CYCLE,
      query: nodeDutyQuery(window),
      target: { kind: 'nodes', nodeLabel: 'node' },
      keepLabels: false,
      windowSeconds,
    },
  ];
}

/**
 * Mean over each node's physical GPUs. `max by (…, GPU_I_ID)` counts a GPU shared by several
 * pods once; the middle `avg` folds MIG slices into their GPU. The node comes from
 * `Hostname` or `hostname` (renamed in dcgm-exporter #655).
 */
function nodeDutyQuery(window: string): string {
  const withNode =
    `label_replace(label_replace(${dutyPerGpu('', window)}, "node", "$1", "Hostname", "(.+)"),` +
    ` "node", "$1", "hostname", "(.+)")`;
  return `avg by (node) (avg by (node, UUID, uuid) (max by (node, UUID, uuid, GPU_I_ID) (${withNode})))`;
}

const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_SECONDS = [365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001];

/** Seconds in a PromQL duration (`2m`, `1m30s`, `500ms`); undefined when it is not one. */
export function durationSeconds(d: string): number | undefined {
  const m = DURATION.exec(d);
  if (!m || d === '') return undefined;
  let total = 0;
  UNIT_SECONDS.forEach((unit, i) => {
    total += Number(m[i + 1] ?? 0) * unit;
  });
  return total > 0 ? total : undefined;
}
