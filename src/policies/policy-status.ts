import { formatQuantity } from '../apiserver/index.js';
import type { MetricReading } from './current-metrics.js';
import type { HpaObject } from './hpa-client.js';
import type { MetricsState } from './policy-metrics.js';

/**
 * AIInferenceAutoscalerPolicy `status`, built from what the controller saw: the HPA it owns,
 * the current metric readings and whether the policy's PromQL metrics are served. Pure.
 */

export interface PolicyCondition {
  readonly type: 'Ready' | 'MetricsAvailable' | 'ScalingActive';
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export interface PolicyStatus {
  readonly observedGeneration?: number;
  readonly hpaName?: string;
  readonly currentReplicas?: number;
  readonly desiredReplicas?: number;
  readonly lastScaleTime?: string;
  readonly currentMetrics?: readonly { readonly name: string; readonly type: string; readonly value?: string; readonly error?: string }[];
  readonly conditions: readonly PolicyCondition[];
}

type NewCondition = Omit<PolicyCondition, 'lastTransitionTime'>;

/** What reconciling one policy came to. */
export type ReconcileOutcome =
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'conflict'; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'reconciled'; readonly hpa: HpaObject; readonly readings: readonly MetricReading[]; readonly metrics: MetricsState };

export function buildPolicyStatus(outcome: ReconcileOutcome, generation: number | undefined, previous: PolicyStatus | undefined, now: Date): PolicyStatus {
  const conditions = withTransitionTimes(conditionsOf(outcome), previous?.conditions ?? [], now.toISOString());
  const base = { ...(generation !== undefined ? { observedGeneration: generation } : {}), conditions };
  if (outcome.kind !== 'reconciled') return base;
  const { hpa, readings } = outcome;
  const s = hpa.status;
  return {
    ...base,
    hpaName: hpa.metadata.name,
    ...(s?.currentReplicas !== undefined ? { currentReplicas: s.currentReplicas } : {}),
    ...(s?.desiredReplicas !== undefined ? { desiredReplicas: s.desiredReplicas } : {}),
    ...(s?.lastScaleTime !== undefined ? { lastScaleTime: s.lastScaleTime } : {}),
    currentMetrics: readings.map((r) => ({
      name: r.metric,
      type: r.type,
      ...(r.value !== undefined ? { value: formatQuantity(r.value) } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
    })),
  };
}

function conditionsOf(o: ReconcileOutcome): NewCondition[] {
  switch (o.kind) {
    case 'invalid':
      return [{ type: 'Ready', status: 'False', reason: 'InvalidSpec', message: o.message }];
    case 'conflict':
      return [{ type: 'Ready', status: 'False', reason: 'HPAConflict', message: o.message }];
    case 'failed':
      return [{ type: 'Ready', status: 'False', reason: 'ReconcileFailed', message: o.message }];
    case 'reconciled':
      return [
        { type: 'Ready', status: 'True', reason: 'HPAReconciled', message: `HPA ${o.hpa.metadata.name} matches the policy` },
        metricsCondition(o.metrics, o.readings),
        scalingCondition(o.hpa),
      ];
  }
}

function metricsCondition(state: MetricsState, readings: readonly MetricReading[]): NewCondition {
  if (!state.ok) return { type: 'MetricsAvailable', status: 'False', reason: state.reason, message: state.message };
  const missing = readings.filter((r) => r.value === undefined);
  if (missing.length > 0) {
    return { type: 'MetricsAvailable', status: 'False', reason: 'MetricsUnavailable', message: missing.map((r) => `${r.metric}: ${r.error ?? 'no value'}`).join('; ') };
  }
  return { type: 'MetricsAvailable', status: 'True', reason: 'MetricsServed', message: `current values for ${readings.map((r) => r.metric).join(', ')}` };
}

/** The HPA controller's own verdict, passed through. */
function scalingCondition(hpa: HpaObject): NewCondition {
  const c = hpa.status?.conditions?.find((x) => x.type === 'ScalingActive');
  if (!c) return { type: 'ScalingActive', status: 'Unknown', reason: 'HPAPending', message: 'the HPA controller has not reported yet' };
  const status = c.status === 'True' || c.status === 'False' ? c.status : 'Unknown';
  return { type: 'ScalingActive', status, reason: c.reason ?? 'Unknown', message: c.message ?? '' };
}

/** A condition keeps its lastTransitionTime while its status stays the same. */
function withTransitionTimes(next: NewCondition[], previous: readonly PolicyCondition[], now: string): PolicyCondition[] {
  return next.map((c) => {
    const prev = previous.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
  });
}
