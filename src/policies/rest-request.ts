import { z } from 'zod';
import { parseWith, type Parsed } from './field-errors.js';
import {
  behavior,
  GPU_METRIC,
  podsAverage,
  resourceUtilization,
  STORAGE_IOPS_METRIC,
  STORAGE_READ_METRIC,
  STORAGE_WRITE_METRIC,
  MAX_SCALE_CHANGE_PERIOD_SECONDS,
  workloadRef,
  type HpaSpec,
  type MetricSpec,
  type RulesInput,
} from './hpa-spec.js';

/**
 * `POST /api/v1/autoscaling`: the request body of the "AI storage orchestrator" API users
 * script against, and its compilation into an autoscaling/v2 HPA spec. Pure.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const INT32_MAX = 2_147_483_647;

const replicas = z.number().int('must be an integer').min(1, 'must be at least 1').max(INT32_MAX);
const percent = z.number().int('must be an integer (percent of the pods\' requests)').min(1, 'must be at least 1');
const positive = z.number().positive('must be greater than 0');

const scalePolicySchema = z.strictObject({
  stabilization_window_seconds: z.number().int('must be an integer').min(0, 'must be at least 0').max(3600, 'must be at most 3600').optional(),
  max_scale_change: z.number().int('must be an integer').min(1, 'must be at least 1').max(INT32_MAX).optional(),
});

/** The target fields; at least one must be given. */
export const TARGET_FIELDS = [
  'target_cpu_percent',
  'target_memory_percent',
  'target_gpu_percent',
  'target_storage_read_throughput_mbps',
  'target_storage_write_throughput_mbps',
  'target_storage_iops',
] as const;

export const autoscalerRequestSchema = z
  .strictObject({
    workload_name: z.string().max(253, 'must be at most 253 characters').regex(DNS1123_SUBDOMAIN, 'must be a Kubernetes object name (lower-case RFC 1123 subdomain)'),
    workload_namespace: z.string().max(63, 'must be at most 63 characters').regex(DNS1123_LABEL, 'must be a Kubernetes namespace name (lower-case RFC 1123 label)'),
    workload_type: z.enum(['Deployment', 'StatefulSet', 'ReplicaSet'], 'must be one of Deployment, StatefulSet, ReplicaSet'),
    min_replicas: replicas,
    max_replicas: replicas,
    target_cpu_percent: percent.optional(),
    target_memory_percent: percent.optional(),
    target_gpu_percent: positive.max(100, 'must be at most 100 (GPU duty cycle, %)').optional(),
    target_storage_read_throughput_mbps: positive.optional(),
    target_storage_write_throughput_mbps: positive.optional(),
    target_storage_iops: positive.optional(),
    scale_up_policy: scalePolicySchema.optional(),
    scale_down_policy: scalePolicySchema.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.max_replicas < r.min_replicas) {
      ctx.addIssue({ code: 'custom', path: ['max_replicas'], message: `must be greater than or equal to min_replicas (${r.min_replicas})` });
    }
    if (TARGET_FIELDS.every((f) => r[f] === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['targets'], message: `give at least one of ${TARGET_FIELDS.join(', ')}` });
    }
  });

export type AutoscalerRequest = z.infer<typeof autoscalerRequestSchema>;

export function parseAutoscalerRequest(raw: unknown): Parsed<AutoscalerRequest> {
  return parseWith(autoscalerRequestSchema, raw);
}

/** MB/s (decimal, as storage vendors count) to whole bytes/s: 600 → 600M. */
export function bytesPerSecond(mbps: number): number {
  return Math.round(mbps * 1_000_000);
}

/** The HPA for a request. The HPA is named after the workload and lives in its namespace. */
export function compileAutoscalerRequest(r: AutoscalerRequest): HpaSpec {
  const metrics: MetricSpec[] = [];
  if (r.target_cpu_percent !== undefined) metrics.push(resourceUtilization('cpu', r.target_cpu_percent));
  if (r.target_memory_percent !== undefined) metrics.push(resourceUtilization('memory', r.target_memory_percent));
  if (r.target_gpu_percent !== undefined) metrics.push(podsAverage(GPU_METRIC, r.target_gpu_percent));
  if (r.target_storage_read_throughput_mbps !== undefined) metrics.push(podsAverage(STORAGE_READ_METRIC, bytesPerSecond(r.target_storage_read_throughput_mbps)));
  if (r.target_storage_write_throughput_mbps !== undefined) metrics.push(podsAverage(STORAGE_WRITE_METRIC, bytesPerSecond(r.target_storage_write_throughput_mbps)));
  if (r.target_storage_iops !== undefined) metrics.push(podsAverage(STORAGE_IOPS_METRIC, r.target_storage_iops));
  return {
    scaleTargetRef: workloadRef(r.workload_type, r.workload_name),
    minReplicas: r.min_replicas,
    maxReplicas: r.max_replicas,
    metrics,
    behavior: behavior(rulesOf(r.scale_up_policy), rulesOf(r.scale_down_policy)),
  };
}

function rulesOf(p: AutoscalerRequest['scale_up_policy']): RulesInput {
  return {
    ...(p?.stabilization_window_seconds !== undefined ? { stabilizationWindowSeconds: p.stabilization_window_seconds } : {}),
    ...(p?.max_scale_change !== undefined
      ? { policies: [{ type: 'Pods' as const, value: p.max_scale_change, periodSeconds: MAX_SCALE_CHANGE_PERIOD_SECONDS }] }
      : {}),
  };
}
