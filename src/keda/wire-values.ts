/**
 * TriggerSpec and values as KEDA's messages (pure). Both the int64 field (what KEDA before
 * v2.17 reads) and the double field (what v2.17+ prefers when > 0) are always filled.
 */
import type { IsActiveResponse, MetricSpec, MetricValue } from './contract.js';
import type { TriggerSpec } from './trigger-metadata.js';

/** Nearest integer, kept inside int64's safe-integer range. */
export function toInt64(v: number): number {
  const r = Math.round(v);
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(Number.MIN_SAFE_INTEGER, r));
}

export function metricSpecOf(spec: TriggerSpec): MetricSpec {
  // A target of 0 would give the HPA a target it rejects; spec.target is > 0 already.
  return { metricName: spec.metricName, targetSize: Math.max(1, toInt64(spec.target)), targetSizeFloat: spec.target };
}

export function metricValueOf(spec: TriggerSpec, value: number): MetricValue {
  return { metricName: spec.metricName, metricValue: toInt64(value), metricValueFloat: value };
}

/** KEDA's convention for activation: strictly above the threshold. */
export function isActive(spec: TriggerSpec, value: number): IsActiveResponse {
  return { result: value > spec.activationThreshold };
}
