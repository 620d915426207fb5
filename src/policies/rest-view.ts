import { parseQuantity } from '../apiserver/index.js';
import type { MetricReading } from './current-metrics.js';
import type { HpaObject, RescaleCounts } from './hpa-client.js';
import {
  GPU_METRIC,
  MAX_SCALE_CHANGE_PERIOD_SECONDS,
  STORAGE_IOPS_METRIC,
  STORAGE_READ_METRIC,
  STORAGE_WRITE_METRIC,
  type MetricSpec,
  type ScalingRules,
} from './hpa-spec.js';

/**
 * The REST API's view of one autoscaler, built from its HPA alone (the HPA is the only state),
 * the current readings and the rescale counts. Pure.
 */

/** `<namespace>.<hpa name>`: stable, derived, and a namespace never contains a dot. */
export function autoscalingId(namespace: string, name: string): string {
  return `${namespace}.${name}`;
}

export function parseAutoscalingId(id: string): { namespace: string; name: string } | undefined {
  const dot = id.indexOf('.');
  if (dot <= 0 || dot === id.length - 1) return undefined;
  return { namespace: id.slice(0, dot), name: id.slice(dot + 1) };
}

/** `pending` until the HPA controller first reports, `active` while it can compute replicas, else `degraded`. */
export type AutoscalerStatus = 'pending' | 'active' | 'degraded';

export function autoscalerStatus(hpa: HpaObject): AutoscalerStatus {
  const conditions = hpa.status?.conditions ?? [];
  const active = conditions.find((c) => c.type === 'ScalingActive');
  const able = conditions.find((c) => c.type === 'AbleToScale');
  if (!active) return 'pending';
  return active.status === 'True' && able?.status !== 'False' ? 'active' : 'degraded';
}

/** Each reading under the request field it answers, in the request's unit; null when unavailable. */
function fieldOf(metric: string): { field: string; scale: number } | undefined {
  switch (metric) {
    case 'cpu':
      return { field: 'cpu_percent', scale: 1 };
    case 'memory':
      return { field: 'memory_percent', scale: 1 };
    case GPU_METRIC:
      return { field: 'gpu_percent', scale: 1 };
    case STORAGE_READ_METRIC:
      return { field: 'storage_read_throughput_mbps', scale: 1e-6 };
    case STORAGE_WRITE_METRIC:
      return { field: 'storage_write_throughput_mbps', scale: 1e-6 };
    case STORAGE_IOPS_METRIC:
      return { field: 'storage_iops', scale: 1 };
    default:
      return undefined;
  }
}

export function currentMetricsView(readings: readonly MetricReading[]): { values: Record<string, number | null>; errors: Record<string, string> } {
  const values: Record<string, number | null> = {};
  const errors: Record<string, string> = {};
  for (const r of readings) {
    const f = fieldOf(r.metric);
    if (!f) continue;
    values[f.field] = r.value === undefined ? null : round(r.value * f.scale);
    if (r.error !== undefined) errors[f.field] = r.error;
  }
  return { values, errors };
}

/** The request that would produce this HPA (read from the HPA, so an edit with kubectl shows). */
export function requestOf(hpa: HpaObject): Record<string, unknown> {
  const { spec, metadata } = hpa;
  const out: Record<string, unknown> = {
    workload_name: spec.scaleTargetRef.name,
    workload_namespace: metadata.namespace,
    workload_type: spec.scaleTargetRef.kind,
    min_replicas: spec.minReplicas ?? 1,
    max_replicas: spec.maxReplicas,
  };
  for (const m of spec.metrics ?? []) Object.assign(out, targetOf(m));
  const up = policyOf(spec.behavior?.scaleUp);
  const down = policyOf(spec.behavior?.scaleDown);
  if (up) out.scale_up_policy = up;
  if (down) out.scale_down_policy = down;
  return out;
}

function targetOf(m: MetricSpec): Record<string, number> {
  if (m.type === 'Resource' && m.resource.target.type === 'Utilization') return { [`target_${m.resource.name}_percent`]: m.resource.target.averageUtilization };
  if (m.type !== 'Pods' || m.pods.target.type !== 'AverageValue') return {};
  const v = parseQuantity(m.pods.target.averageValue);
  switch (m.pods.metric.name) {
    case GPU_METRIC:
      return { target_gpu_percent: v };
    case STORAGE_READ_METRIC:
      return { target_storage_read_throughput_mbps: v / 1e6 };
    case STORAGE_WRITE_METRIC:
      return { target_storage_write_throughput_mbps: v / 1e6 };
    case STORAGE_IOPS_METRIC:
      return { target_storage_iops: v };
    default:
      return {};
  }
}

function policyOf(r: ScalingRules | undefined): Record<string, number> | undefined {
  if (!r) return undefined;
  const only = r.policies.length === 1 ? r.policies[0] : undefined;
  const maxChange = only?.type === 'Pods' && only.periodSeconds === MAX_SCALE_CHANGE_PERIOD_SECONDS ? only.value : undefined;
  return { stabilization_window_seconds: r.stabilizationWindowSeconds, ...(maxChange !== undefined ? { max_scale_change: maxChange } : {}) };
}

export interface AutoscalerView {
  readonly autoscaling_id: string;
  readonly status: AutoscalerStatus;
  readonly config: Record<string, unknown>;
  readonly details: {
    readonly created_at: string | null;
    readonly current_replicas: number | null;
    readonly desired_replicas: number | null;
    readonly current_metrics: Record<string, number | null>;
    readonly metric_errors: Record<string, string>;
    readonly scale_up_count: number;
    readonly scale_down_count: number;
    readonly last_scale_time: string | null;
    readonly hpa_name: string;
    readonly conditions: readonly { type: string; status: string; reason?: string; message?: string }[];
  };
}

export function autoscalerView(hpa: HpaObject, readings: readonly MetricReading[], counts: RescaleCounts | undefined): AutoscalerView {
  const { values, errors } = currentMetricsView(readings);
  const s = hpa.status;
  return {
    autoscaling_id: autoscalingId(hpa.metadata.namespace, hpa.metadata.name),
    status: autoscalerStatus(hpa),
    config: requestOf(hpa),
    details: {
      created_at: hpa.metadata.creationTimestamp ?? null,
      current_replicas: s?.currentReplicas ?? null,
      desired_replicas: s?.desiredReplicas ?? null,
      current_metrics: values,
      metric_errors: errors,
      scale_up_count: counts?.up ?? 0,
      scale_down_count: counts?.down ?? 0,
      last_scale_time: s?.lastScaleTime ?? null,
      hpa_name: hpa.metadata.name,
      conditions: (s?.conditions ?? []).map(({ type, status, reason, message }) => ({ type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) })),
    },
  };
}

/** `GET /api/v1/autoscaling/metrics`: totals, and averages over the autoscalers that have a value. */
export function aggregateViews(views: readonly AutoscalerView[]): Record<string, unknown> {
  const sum = (f: (v: AutoscalerView) => number | null) => views.reduce((a, v) => a + (f(v) ?? 0), 0);
  const byField = new Map<string, number[]>();
  for (const v of views) {
    for (const [field, value] of Object.entries(v.details.current_metrics)) {
      if (value !== null) byField.set(field, [...(byField.get(field) ?? []), value]);
    }
  }
  const n = views.length;
  const totalCurrent = sum((v) => v.details.current_replicas);
  return {
    total_autoscalers: n,
    active_autoscalers: views.filter((v) => v.status === 'active').length,
    total_current_replicas: totalCurrent,
    total_desired_replicas: sum((v) => v.details.desired_replicas),
    total_scale_ups: sum((v) => v.details.scale_up_count),
    total_scale_downs: sum((v) => v.details.scale_down_count),
    average_current_replicas: n === 0 ? null : round(totalCurrent / n),
    average_metrics: Object.fromEntries([...byField].map(([field, vs]) => [field, round(vs.reduce((a, b) => a + b, 0) / vs.length)])),
  };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
