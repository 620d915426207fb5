import { z } from 'zod';
import { parseWith, type Parsed } from './field-errors.js';
import {
  behavior,
  GPU_METRIC,
  objectMetric,
  podsAverage,
  workloadRef,
  workloadResource,
  type HpaSpec,
  type MetricSpec,
  type RulesInput,
} from './hpa-spec.js';

/**
 * AIInferenceAutoscalerPolicy (kubeai.io/v1alpha1) `spec`, validated as the controller reads it
 * (the CRD's OpenAPI schema checks the same shape at admission), and its compilation into one
 * autoscaling/v2 HPA plus the PromQL metrics that HPA asks the adapter for. Pure.
 */

export const POLICY_GROUP = 'kubeai.io';
export const POLICY_VERSION = 'v1alpha1';
export const POLICY_KIND = 'AIInferenceAutoscalerPolicy';
export const POLICY_PLURAL = 'aiinferenceautoscalerpolicies';

/** In a latency query, replaced by 0.99 and 0.95 (needed when both targets are set). */
export const QUANTILE_PLACEHOLDER = '{{quantile}}';

const int = (min: number) => z.number().int('must be an integer').min(min, `must be at least ${min}`);
const query = z.string().trim().min(1, 'must not be empty');

const scalingRulesSchema = z.object({
  stabilizationWindowSeconds: int(0).max(3600, 'must be at most 3600').optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
  policies: z
    .array(z.object({ type: z.enum(['Pods', 'Percent']), value: int(1), periodSeconds: int(1).max(1800, 'must be at most 1800') }))
    .optional(),
});

export const policySpecSchema = z
  .object({
    targetRef: z.object({
      apiVersion: z.literal('apps/v1', 'must be apps/v1').optional(),
      kind: z.enum(['Deployment', 'StatefulSet'], 'must be Deployment or StatefulSet'),
      name: z.string().min(1, 'must not be empty'),
    }),
    minReplicas: int(1).default(1),
    maxReplicas: int(1),
    cooldownPeriod: int(0).max(3600, 'must be at most 3600').optional(),
    metrics: z.object({
      latency: z
        .object({
          enabled: z.boolean().default(true),
          targetP99Ms: z.number().positive('must be greater than 0').optional(),
          targetP95Ms: z.number().positive('must be greater than 0').optional(),
          prometheusQuery: query.optional(),
        })
        .optional(),
      gpuUtilization: z
        .object({
          enabled: z.boolean().default(true),
          targetPercentage: z.number().positive('must be greater than 0').max(100, 'must be at most 100').optional(),
          prometheusQuery: query.optional(),
        })
        .optional(),
      requestQueueDepth: z
        .object({
          enabled: z.boolean().default(true),
          targetDepth: z.number().positive('must be greater than 0').optional(),
          prometheusQuery: query.optional(),
        })
        .optional(),
    }),
    scaleUp: scalingRulesSchema.optional(),
    scaleDown: scalingRulesSchema.optional(),
  })
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (s.maxReplicas < s.minReplicas) issue(['maxReplicas'], `must be greater than or equal to minReplicas (${s.minReplicas})`);
    const { latency, gpuUtilization: gpu, requestQueueDepth: queue } = s.metrics;
    if (!latency?.enabled && !gpu?.enabled && !queue?.enabled) {
      issue(['metrics'], 'enable at least one of latency, gpuUtilization, requestQueueDepth');
    }
    if (latency?.enabled) {
      const both = latency.targetP99Ms !== undefined && latency.targetP95Ms !== undefined;
      if (latency.targetP99Ms === undefined && latency.targetP95Ms === undefined) issue(['metrics', 'latency'], 'set targetP99Ms or targetP95Ms');
      if (latency.prometheusQuery === undefined) issue(['metrics', 'latency', 'prometheusQuery'], 'required when latency is enabled (PromQL returning seconds)');
      else if (both && !latency.prometheusQuery.includes(QUANTILE_PLACEHOLDER)) {
        issue(['metrics', 'latency', 'prometheusQuery'], `with both targetP99Ms and targetP95Ms the query must contain ${QUANTILE_PLACEHOLDER}`);
      }
    }
    if (gpu?.enabled && gpu.targetPercentage === undefined) issue(['metrics', 'gpuUtilization', 'targetPercentage'], 'required when gpuUtilization is enabled');
    if (queue?.enabled) {
      if (queue.targetDepth === undefined) issue(['metrics', 'requestQueueDepth', 'targetDepth'], 'required when requestQueueDepth is enabled');
      if (queue.prometheusQuery === undefined) issue(['metrics', 'requestQueueDepth', 'prometheusQuery'], 'required when requestQueueDepth is enabled');
    }
  });

export type PolicySpec = z.infer<typeof policySpecSchema>;

export function parsePolicySpec(raw: unknown): Parsed<PolicySpec> {
  return parseWith(policySpecSchema, raw, 'spec');
}

/** A PromQL metric the adapter must serve for one policy: every sample of `query` is a value of the target object. */
export interface PolicyQuery {
  /** Catalog name, unique per policy: `aiap:<namespace>:<policy>:<what>`. */
  readonly metric: string;
  readonly query: string;
  /** Canonical resource of the target (`deployments.apps`, `statefulsets.apps`). */
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
}

export interface CompiledPolicy {
  readonly hpa: HpaSpec;
  readonly queries: readonly PolicyQuery[];
}

/** The metric name a policy's PromQL is served under. */
export function policyMetricName(namespace: string, policy: string, what: string): string {
  return `aiap:${namespace}:${policy}:${what}`;
}

export function compilePolicy(namespace: string, policy: string, spec: PolicySpec): CompiledPolicy {
  const target = workloadRef(spec.targetRef.kind, spec.targetRef.name);
  const resource = workloadResource(spec.targetRef.kind);
  const metrics: MetricSpec[] = [];
  const queries: PolicyQuery[] = [];
  const promql = (what: string, q: string, type: 'Value' | 'AverageValue', value: number) => {
    const metric = policyMetricName(namespace, policy, what);
    queries.push({ metric, query: q, resource, namespace, name: target.name });
    metrics.push(objectMetric(target, metric, type, value));
  };
  const { latency, gpuUtilization: gpu, requestQueueDepth: queue } = spec.metrics;
  if (latency?.enabled && latency.prometheusQuery !== undefined) {
    const q = latency.prometheusQuery;
    // The query returns seconds (Prometheus' base unit); 250 ms becomes the quantity 250m.
    if (latency.targetP99Ms !== undefined) promql('latency_p99_seconds', withQuantile(q, '0.99'), 'Value', latency.targetP99Ms / 1000);
    if (latency.targetP95Ms !== undefined) promql('latency_p95_seconds', withQuantile(q, '0.95'), 'Value', latency.targetP95Ms / 1000);
  }
  if (gpu?.enabled && gpu.targetPercentage !== undefined) {
    // Without a query: the built-in per-pod duty cycle; with one: the workload's utilization as the query computes it.
    if (gpu.prometheusQuery === undefined) metrics.push(podsAverage(GPU_METRIC, gpu.targetPercentage));
    else promql('gpu_utilization_percent', gpu.prometheusQuery, 'Value', gpu.targetPercentage);
  }
  if (queue?.enabled && queue.prometheusQuery !== undefined && queue.targetDepth !== undefined) {
    // AverageValue on an Object metric: desired replicas = ceil(depth / targetDepth).
    promql('request_queue_depth', queue.prometheusQuery, 'AverageValue', queue.targetDepth);
  }
  const down: RulesInput = { ...rulesOf(spec.scaleDown) };
  return {
    hpa: {
      scaleTargetRef: target,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      metrics,
      behavior: behavior(rulesOf(spec.scaleUp), {
        ...down,
        // cooldownPeriod is the scale-down window unless scaleDown sets one itself.
        ...(down.stabilizationWindowSeconds === undefined && spec.cooldownPeriod !== undefined ? { stabilizationWindowSeconds: spec.cooldownPeriod } : {}),
      }),
    },
    queries,
  };
}

function withQuantile(query: string, quantile: string): string {
  return query.split(QUANTILE_PLACEHOLDER).join(quantile);
}

function rulesOf(r: PolicySpec['scaleUp']): RulesInput {
  return {
    ...(r?.stabilizationWindowSeconds !== undefined ? { stabilizationWindowSeconds: r.stabilizationWindowSeconds } : {}),
    ...(r?.selectPolicy !== undefined ? { selectPolicy: r.selectPolicy } : {}),
    ...(r?.policies !== undefined ? { policies: r.policies } : {}),
  };
}
