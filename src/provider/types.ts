import type { Labels, Selector } from '../util/labels.js';

/**
 * The provider interface: everything the API machinery in src/apiserver needs from the
 * metric side, and nothing more (the shape of custom-metrics-apiserver's providers).
 * Implementations answer from memory; they never call a backend.
 */

/** A canonical resource as the custom metrics API names it: `pods`, `nodes`, `deployments.apps`. */
export interface ResourceRef {
  /** Lower-case plural, e.g. `pods`. */
  readonly resource: string;
  /** API group, `''` for core. */
  readonly group: string;
  /** Kind, e.g. `Pod`, for `describedObject`. */
  readonly kind: string;
  /** `v1`, `apps/v1`: the describedObject apiVersion. */
  readonly apiVersion: string;
  readonly namespaced: boolean;
}

/** `pods` or `deployments.apps`: the form used in paths and discovery. */
export function groupResource(r: Pick<ResourceRef, 'resource' | 'group'>): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

export interface CustomMetricInfo {
  readonly resource: ResourceRef;
  readonly metric: string;
}

export interface ExternalMetricInfo {
  readonly metric: string;
}

/** Version-neutral custom metric value; src/apiserver renders it as v1beta1 or v1beta2. */
export interface MetricValue {
  readonly describedObject: {
    readonly kind: string;
    readonly apiVersion: string;
    readonly namespace?: string;
    readonly name: string;
  };
  readonly metric: string;
  readonly timestampMs: number;
  readonly windowSeconds?: number;
  /** Finite. */
  readonly value: number;
}

export interface ExternalMetricValue {
  readonly metric: string;
  readonly labels: Labels;
  readonly timestampMs: number;
  readonly windowSeconds?: number;
  readonly value: number;
}

export interface CustomMetricsProvider {
  /** One object: paths A, C, D. Throws ProviderError (NotFound / Unavailable / BadRequest). */
  getMetricByName(
    resource: ResourceRef,
    namespace: string | undefined,
    name: string,
    metric: string,
    metricSelector: Selector,
  ): MetricValue;
  /** Every object of `resource` in `namespace` matching `objects`: paths B, E. */
  getMetricBySelector(
    resource: ResourceRef,
    namespace: string | undefined,
    objectSelector: Selector,
    metric: string,
    metricSelector: Selector,
  ): MetricValue[];
  /** Static per configuration: what discovery lists. Never empty. */
  listAllMetrics(): readonly CustomMetricInfo[];
}

export interface ExternalMetricsProvider {
  getExternalMetric(namespace: string, metric: string, selector: Selector): ExternalMetricValue[];
  /** Static per configuration. Never empty. */
  listAllExternalMetrics(): readonly ExternalMetricInfo[];
}

/**
 * Live Kubernetes objects (cluster mode): pod metrics are intersected with these so a
 * deleted or non-matching pod never appears, and `labelSelector` is evaluated on real labels.
 */
export interface ObjectLister {
  /** Whether this lister tracks `resource` at all. */
  tracks(resource: string): boolean;
  /** Names of live objects of `resource` in `namespace` (undefined: cluster-scoped) matching `selector`. */
  list(resource: string, namespace: string | undefined, selector: Selector): string[];
  exists(resource: string, namespace: string | undefined, name: string): boolean;
  /** Changes whenever the objects do; a lister without it makes answers uncacheable. */
  readonly generation?: number;
}

/**
 * Tells how long an answer computed now stays right: while answerToken() is unchanged (no poll,
 * failure, catalog or object change since) and until answerValidUntil(metric), when a sample or
 * source in it gets too old.
 */
export interface AnswerValidity {
  /** undefined: answers about `metric` cannot be reused. */
  answerToken(metric: string): string | undefined;
  /** Epoch ms, inclusive. */
  answerValidUntil(metric: string): number;
}
