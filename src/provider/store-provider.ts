import type { MetricStore, ReadFailure, ReadResult } from '../store/index.js';
import type { Selector } from '../util/labels.js';
import {
  groupResource,
  type AnswerValidity,
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
export class StoreProvider implements CustomMetricsProvider, ExternalMetricsProvider, AnswerValidity {
  private lists: { generation: number; custom: CustomMetricInfo[]; external: ExternalMetricInfo[] };

  constructor(private readonly opts: StoreProviderOptions) {
    this.lists = this.buildLists();
  }

  /** The same array until the catalog changes, so discovery is rebuilt only then. */
  listAllMetrics(): readonly CustomMetricInfo[] {
    return this.currentLists().custom;
  }

  listAllExternalMetrics(): readonly ExternalMetricInfo[] {
    return this.currentLists().external;
  }

  private currentLists() {
    if (this.lists.generation !== this.opts.store.catalog.generation) this.lists = this.buildLists();
    return this.lists;
  }

  private buildLists() {
    const catalog = this.opts.store.catalog;
    const external = catalog.externalMetrics().filter((d) => catalog.isListed(d.name)).map((d) => ({ metric: d.name }));
    return { generation: catalog.generation, custom: listCustom(this.opts), external };
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

  getExternalMetric(namespace: string, metric: string, selector: Selector): ExternalMetricValue[] {
    // Most external series (queues) belong to no namespace; only metrics the catalog marks namespaced are filtered by it.
    const series = unwrap(this.opts.store.externalValues(metric, selector, namespace), metric, 'external metrics');
    return series.map((s) => ({ metric, ...s }));
  }

  answerToken(metric: string): string | undefined {
    const objects = this.opts.objects;
    if (objects && objects.generation === undefined) return undefined;
    return `${this.opts.store.changeToken(metric)}.${objects?.generation ?? ''}`;
  }

  answerValidUntil(metric: string): number {
    return this.opts.store.freshUntil(metric);
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
  const catalog = opts.store.catalog;
  for (const def of catalog.customMetrics().filter((d) => catalog.isListed(d.name))) {
    for (const name of def.resources) {
      const resource = opts.resolveResource(name);
      if (!resource) throw new Error(`metric ${def.name}: unknown resource "${name}"`);
      out.push({ resource, metric: def.name });
    }
  }
  return out;
}
