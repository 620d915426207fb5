import { groupResource, type ResourceRef } from '../provider/index.js';
import type { CustomMetricDef, ExternalMetricDef, MetricDef } from '../store/index.js';
import type { CompiledRule } from './compile.js';
import { renderMatchers, type Requirement } from './matchers.js';
import type { Struct } from './template.js';

/** Where a query's samples go. */
export type PlanTarget =
  | {
      readonly kind: 'object';
      readonly resource: ResourceRef;
      readonly resourceLabel: string;
      /** Set for namespaced resources: the label carrying the object's namespace. */
      readonly namespaceLabel?: string;
    }
  | { readonly kind: 'external'; readonly namespace?: string };

/** One instant query the source runs every poll. */
export interface QueryPlan {
  readonly rule: CompiledRule;
  /** API metric name. */
  readonly metric: string;
  readonly query: string;
  readonly target: PlanTarget;
}

export interface Discovery {
  readonly defs: MetricDef[];
  readonly plans: QueryPlan[];
  /** Per-rule problems found while discovering (logged by the source). */
  readonly problems: { readonly rule: string; readonly message: string }[];
}

export type SeriesLabels = Readonly<Record<string, string>>;

interface CustomReg {
  readonly rule: CompiledRule;
  readonly series: string;
  readonly resourceLabel: string;
  readonly resource: ResourceRef;
}

interface ExternalReg {
  readonly rule: CompiledRule;
  readonly series: string;
  readonly namespaces: Set<string>;
}

/**
 * From the label sets each rule's seriesQuery returned to the metrics to register and the
 * queries to poll (pkg/custom-provider/series_registry.go, pkg/external-provider). Pure.
 * Later rules overwrite earlier ones for the same (resource, metric) or external name.
 */
export function discover(
  rules: readonly CompiledRule[],
  seriesByQuery: ReadonlyMap<string, readonly SeriesLabels[]>,
  maxAgeMs: number,
): Discovery {
  const problems: { rule: string; message: string }[] = [];
  const custom = new Map<string, CustomReg>();
  const external = new Map<string, ExternalReg>();
  for (const rule of rules) {
    let unmapped: string | undefined;
    for (const labels of seriesByQuery.get(rule.seriesQuery) ?? []) {
      const series = labels.__name__;
      if (!series || !rule.filters.every((f) => f(series)) || !rule.name.matches(series)) continue;
      const metric = rule.name.apiName(series);
      if (!metric) continue;
      if (rule.api === 'external') {
        const prev = external.get(metric);
        const reg = prev?.rule === rule ? prev : { rule, series, namespaces: new Set<string>() };
        const ns = rule.namespaceLabel !== undefined ? labels[rule.namespaceLabel] : undefined;
        if (ns) reg.namespaces.add(ns);
        external.set(metric, reg);
        continue;
      }
      const resources = rule.resources.resourcesOf(Object.keys(labels).filter((l) => l !== '__name__'));
      if (resources.size === 0) unmapped ??= series;
      for (const [resourceLabel, resource] of resources) {
        custom.set(`${groupResource(resource)}/${metric}`, { rule, series, resourceLabel, resource });
      }
    }
    if (unmapped !== undefined) {
      problems.push({ rule: rule.id, message: `series ${unmapped} has no label that maps to a resource (resources.overrides/template); not served` });
    }
  }
  const plans: QueryPlan[] = [];
  const customResources = new Map<string, { series: string; rule: CompiledRule; resources: string[] }>();
  for (const [key, reg] of custom) {
    const metric = key.slice(key.indexOf('/') + 1);
    const plan = customPlan(reg, metric, problems);
    if (!plan) continue;
    plans.push(plan);
    const entry = customResources.get(metric) ?? { series: reg.series, rule: reg.rule, resources: [] };
    entry.resources.push(groupResource(reg.resource));
    customResources.set(metric, entry);
  }
  const defs: MetricDef[] = [];
  for (const [name, e] of customResources) {
    const def: CustomMetricDef = {
      api: 'custom', name, resources: e.resources, aggregation: 'max', maxAgeMs,
      description: `prometheus-adapter ${e.rule.id}: ${e.series}`,
    };
    defs.push(def);
  }
  for (const [name, reg] of external) {
    const rendered = externalPlans(reg, name, problems);
    if (rendered.length === 0 && !reg.rule.namespaced) continue;
    plans.push(...rendered);
    const def: ExternalMetricDef = {
      api: 'external', name, maxAgeMs, description: `prometheus-adapter ${reg.rule.id}: ${reg.series}`,
      ...(reg.rule.namespaced ? { namespaced: true } : {}),
    };
    defs.push(def);
  }
  return { defs, plans, problems };
}

function customPlan(reg: CustomReg, metric: string, problems: { rule: string; message: string }[]): QueryPlan | undefined {
  const { rule, resource, resourceLabel } = reg;
  const isNamespaceObject = resource.resource === 'namespaces' && resource.group === '';
  let namespaceLabel: string | undefined;
  if (resource.namespaced) {
    namespaceLabel = rule.namespaceLabel;
    if (namespaceLabel === undefined) {
      problems.push({ rule: rule.id, message: `${metric} on ${groupResource(resource)}: the resource is namespaced but no label maps to namespaces; not served` });
      return undefined;
    }
  }
  const groupBy = namespaceLabel !== undefined && !isNamespaceObject ? [namespaceLabel, resourceLabel] : [resourceLabel];
  const reqs: Requirement[] = groupBy.map((key) => ({ key, op: 'exists', values: [] }));
  const data: Struct = {
    Series: reg.series,
    LabelMatchers: renderMatchers(reqs),
    LabelValuesByName: new Map<string, string>(),
    GroupBy: groupBy.join(','),
    GroupBySlice: groupBy,
  };
  const query = render(rule, data, problems);
  if (query === undefined) return undefined;
  const target: PlanTarget = {
    kind: 'object', resource, resourceLabel,
    ...(namespaceLabel !== undefined && !isNamespaceObject ? { namespaceLabel } : {}),
  };
  return { rule, metric, query, target };
}

function externalPlans(reg: ExternalReg, metric: string, problems: { rule: string; message: string }[]): QueryPlan[] {
  const { rule, series } = reg;
  const scopes = rule.namespaced ? [...reg.namespaces].sort() : [undefined];
  const out: QueryPlan[] = [];
  for (const namespace of scopes) {
    const nsLabel = rule.namespaceLabel as string;
    const data: Struct = {
      Series: series,
      LabelMatchers: namespace === undefined ? '' : renderMatchers([{ key: nsLabel, op: '=', values: [namespace] }]),
      LabelValuesByName: new Map(namespace === undefined ? [] : [[nsLabel, namespace]]),
      GroupBy: '',
      GroupBySlice: [],
    };
    const query = render(rule, data, problems);
    if (query === undefined) return [];
    out.push({ rule, metric, query, target: { kind: 'external', ...(namespace !== undefined ? { namespace } : {}) } });
  }
  return out;
}

function render(rule: CompiledRule, data: Struct, problems: { rule: string; message: string }[]): string | undefined {
  try {
    const q = rule.query.render(data);
    if (q.trim() === '') throw new Error('empty query produced by metrics query template');
    return q;
  } catch (err) {
    problems.push({ rule: rule.id, message: `metricsQuery: ${(err as Error).message}; not served` });
    return undefined;
  }
}
