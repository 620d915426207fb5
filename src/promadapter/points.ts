import { groupResource } from '../provider/index.js';
import type { PromResultSample } from '../sources/prometheus-client.js';
import type { MetricPoint, Target } from '../store/index.js';
import type { QueryPlan } from './discovery.js';

export interface Mapped {
  readonly points: MetricPoint[];
  /** Why samples were dropped, for the log (undefined when none were). */
  readonly problem?: string;
}

/**
 * A query's samples → store points. Custom: the object is `sample[resourceLabel]` (in
 * `sample[namespaceLabel]` for namespaced resources), the other labels stay as series
 * labels for metricLabelSelector. External: every label is kept. NaN and ±Inf are
 * dropped (prometheus-adapter turns a custom NaN into 0; we never serve a made-up 0).
 */
export function samplesToPoints(plan: QueryPlan, samples: readonly PromResultSample[]): Mapped {
  const points: MetricPoint[] = [];
  let missing: string | undefined;
  let nonFinite = 0;
  for (const s of samples) {
    if (!Number.isFinite(s.value)) {
      nonFinite++;
      continue;
    }
    const t = plan.target;
    let target: Target;
    let labels: Record<string, string> = s.labels;
    if (t.kind === 'external') {
      target = t.namespace !== undefined ? { kind: 'external', namespace: t.namespace } : { kind: 'external' };
    } else {
      const name = s.labels[t.resourceLabel];
      const namespace = t.namespaceLabel !== undefined ? s.labels[t.namespaceLabel] : undefined;
      if (!name || (t.namespaceLabel !== undefined && !namespace)) {
        missing ??= !name ? t.resourceLabel : (t.namespaceLabel as string);
        continue;
      }
      const resource = groupResource(t.resource);
      target = namespace ? { kind: 'object', resource, namespace, name } : { kind: 'object', resource, name };
      labels = {};
      for (const [k, v] of Object.entries(s.labels)) if (k !== t.resourceLabel && k !== t.namespaceLabel) labels[k] = v;
    }
    points.push({ metric: plan.metric, target, labels, value: s.value, timestampMs: s.timestampMs });
  }
  const problems: string[] = [];
  if (missing !== undefined) {
    problems.push(`samples without label "${missing}" were dropped: the query must keep it, e.g. by (<<.GroupBy>>)`);
  }
  if (nonFinite > 0) problems.push(`${nonFinite} NaN/Inf samples were dropped`);
  return problems.length > 0 ? { points, problem: problems.join('; ') } : { points };
}
