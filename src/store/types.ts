import type { Labels } from '../util/labels.js';

/**
 * What a metric point describes. Object targets use the canonical resource name the
 * custom metrics API uses: lower-case plural plus `.group` for non-core groups
 * (`pods`, `nodes`, `deployments.apps`). External points belong to no object.
 */
export type Target =
  | { readonly kind: 'object'; readonly resource: string; readonly namespace?: string; readonly name: string }
  /** `namespace`: set only for metrics scoped by the request's namespace (ExternalMetricDef.namespaced). */
  | { readonly kind: 'external'; readonly namespace?: string };

/** One observed value, as a source produced it. */
export interface MetricPoint {
  /** Catalog name, e.g. `nvidia_gpu_duty_cycle`, `redis_queue_depth`. */
  readonly metric: string;
  readonly target: Target;
  /** Series labels: what `metricLabelSelector` (custom) or `labelSelector` (external) filter on. */
  readonly labels: Labels;
  /** Always finite; sources drop NaN/Inf before they reach the store. */
  readonly value: number;
  /** When the value was observed (the sample's own time when the source has one), epoch ms. */
  readonly timestampMs: number;
  /** Width of the rate window for rate-style metrics, seconds. */
  readonly windowSeconds?: number;
}

/** Health of one source as the store sees it. */
export interface SourceHealth {
  readonly id: string;
  readonly ok: boolean;
  readonly lastSuccessMs?: number;
  readonly lastAttemptMs?: number;
  readonly lastError?: string;
  /** Why the source is not ok, in words fit for an error message. */
  readonly reason?: string;
}
