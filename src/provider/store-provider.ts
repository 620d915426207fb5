import type { MetricStore, ReadFailure, ReadResult } from '../store/index.js';
import type { Selector } from '../util/labels.js';
import {
  groupResource,
  type CustomMetricInfo,
  type CustomMetricsProvider,
  type ExternalMetricInfo,
  type ExternalMetricValue,
  type ExternalMetricsProvider,
  type MetricValue,
  type ObjectLister,
  type ResourceRef,
} from './types.js';
import { badRequest, metricNotFound, objectMetricNotFound, unavailable, type ProviderError } from './errors.js';
import { sourceHint } from './source-hints.js';

export interface StoreProviderOptions {
  readonly store: MetricStore;
  /** Maps catalog resource names (`pods`, `deployments.apps`) to full references. */
  readonly resolveResource: (name: string) => ResourceRef | undefined;
  /** Live objects; absent in standalone mode. */
  readonly objects?: ObjectLister;
}

/**
 * The provider behind both metrics APIs: answers from the MetricStore, intersected
 * with live objects in cluster mode.
 */
export class StoreProvider implements CustomMetricsProvider, ExternalMetricsProvider {
  private readonly custom: CustomMetricInfo[];
  private readonly external: ExternalMetricInfo[];

  constructor(private readonly opts: StoreProviderOptions) {
    this.custom = listCustom(opts);
    this.external = opts.store.catalog.externalMetrics().map((d) => ({ metric: d.name }));
  }

  listAllMetrics(): readonly CustomMetricInfo[] {
    return this.custom;
  }

  listAllExternalMetrics(): readonly ExternalMetricInfo[] {
    return this.external;
  }

  getMetricByName(resource: ResourceRef, namespace: string | undefined, name: string, metric: string, metricSelector: Selector): MetricValue {
    const gr = groupResource(resource);
    const ns = resource.namespaced ? namespace : undefined;
    const objects = this.opts.objects;
    if (objects?.tracks(gr) && !objects.exists(gr, ns, name)) {
      throw objectMetricNotFound(metric, gr, name);
    }
    const values = unwrap(this.opts.store.objectValues(metric, gr, ns, [name], metricSelector), metric, gr);
    const found = values[0];
    if (found) return toMetricValue(resource, metric, found);
    if (this.opts.store.hasStaleSample(metric, gr, ns, name)) {
      throw unavailable(`the samples of ${metric} for ${gr} ${name} are older than the metric's maximum age`);
    }
    throw objectMetricNotFound(metric, gr, name);
  }

  getMetricBySelector(
    resource: ResourceRef,
    namespace: string | undefined,
    objectSelector: Selector,
    metric: string,
    metricSelector: Selector,
  ): MetricValue[] {
    const gr = groupResource(resource);
    const ns = resource.namespaced ? namespace : undefined;
    if (resource.namespaced && ns === undefined) {
      throw badRequest(`${gr} are namespaced: ask for /namespaces/{namespace}/${gr}/*/${metric}`);
    }
    const names = this.candidates(gr, ns, objectSelector, metric);
    const values = unwrap(this.opts.store.objectValues(metric, gr, ns, names, metricSelector), metric, gr);
    return values.map((v) => toMetricValue(resource, metric, v));
  }

  getExternalMetric(_namespace: string, metric: string, selector: Selector): ExternalMetricValue[] {
    // External series (queues) belong to no namespace; the HPA's namespace does not filter them.
    const series = unwrap(this.opts.store.externalValues(metric, selector), metric, 'external metrics');
    return series.map((s) => ({ metric, ...s }));
  }

  private candidates(gr: string, ns: string | undefined, objectSelector: Selector, metric: string): string[] {
    const objects = this.opts.objects;
    if (objects?.tracks(gr)) return objects.list(gr, ns, objectSelector);
    if (!objectSelector.isEmpty()) {
      throw badRequest(
        `labelSelector "${objectSelector.toString()}" needs the labels of live ${gr}, which only cluster mode has ` +
          '(start with --kubeconfig or run in a pod); standalone mode serves every object its sources report',
      );
    }
    return unwrap(this.opts.store.knownObjects(metric, gr, ns), metric, gr);
  }
}

function unwrap<T>(r: ReadResult<T>, metric: string, resource: string): T {
  if (r.ok) return r.value;
  throw toError(r.failure, metric, resource);
}

function toError(f: ReadFailure, metric: string, resource: string): ProviderError {
  switch (f.kind) {
    case 'unknown-metric':
      return metricNotFound(metric, resource);
    case 'no-source':
      return metricNotFound(metric, resource, `no source for it is configured (${sourceHint(metric)})`);
    case 'unavailable':
      return unavailable(f.message);
  }
}

function toMetricValue(
  resource: ResourceRef,
  metric: string,
  v: { name: string; namespace?: string; value: number; timestampMs: number; windowSeconds?: number },
): MetricValue {
  return {
    describedObject: { kind: resource.kind, apiVersion: resource.apiVersion, namespace: v.namespace, name: v.name },
    metric,
    value: v.value,
    timestampMs: v.timestampMs,
    windowSeconds: v.windowSeconds,
  };
}

function listCustom(opts: StoreProviderOptions): CustomMetricInfo[] {
  const out: CustomMetricInfo[] = [];
  for (const def of opts.store.catalog.customMetrics()) {
    for (const name of def.resources) {
      const resource = opts.resolveResource(name);
      if (!resource) throw new Error(`metric ${def.name}: unknown resource "${name}"`);
      out.push({ resource, metric: def.name });
    }
  }
  return out;
}
