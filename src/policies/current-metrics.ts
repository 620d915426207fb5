import { everything } from '../apiserver/index.js';
import type { MetricStore, ReadFailure } from '../store/index.js';
import type { HpaStatus } from './hpa-client.js';
import { workloadResource, type HpaSpec, type MetricSpec } from './hpa-spec.js';

/**
 * The current value of each metric of an HPA spec, as the HPA sees it: our metrics from the
 * store (Pods metrics averaged over the workload's pods, Object metrics of the workload),
 * CPU/memory utilization from the HPA's own status. A value that cannot be had is absent with
 * the reason; it is never made up.
 */
export interface MetricReading {
  /** `cpu`, `memory`, or the metric name. */
  readonly metric: string;
  readonly type: MetricSpec['type'];
  readonly value?: number;
  readonly error?: string;
}

export interface ReadingContext {
  readonly store: MetricStore;
  readonly namespace: string;
  readonly hpaStatus?: HpaStatus;
  /** Names of the workload's live pods; undefined when they could not be listed (`podsError` says why). */
  readonly pods?: readonly string[];
  readonly podsError?: string;
}

export function readCurrentMetrics(spec: HpaSpec, ctx: ReadingContext): MetricReading[] {
  return spec.metrics.map((m) => read(m, ctx));
}

function read(m: MetricSpec, ctx: ReadingContext): MetricReading {
  switch (m.type) {
    case 'Resource': {
      const name = m.resource.name;
      const current = ctx.hpaStatus?.currentMetrics?.find((c) => c.type === 'Resource' && c.resource?.name === name);
      const value = current?.resource?.current.averageUtilization;
      return value === undefined ? { metric: name, type: m.type, error: 'not reported by the HPA yet' } : { metric: name, type: m.type, value };
    }
    case 'Pods': {
      const metric = m.pods.metric.name;
      if (ctx.pods === undefined) return { metric, type: m.type, error: ctx.podsError ?? 'the workload\'s pods are unknown' };
      if (ctx.pods.length === 0) return { metric, type: m.type, error: 'the workload has no pods' };
      const r = ctx.store.objectValues(metric, 'pods', ctx.namespace, ctx.pods, everything);
      if (!r.ok) return { metric, type: m.type, error: failureText(r.failure, metric) };
      if (r.value.length === 0) return { metric, type: m.type, error: `no fresh samples of ${metric} for the workload's pods` };
      // What the HPA computes: the mean over the pods that have a value.
      return { metric, type: m.type, value: r.value.reduce((a, v) => a + v.value, 0) / r.value.length };
    }
    case 'Object': {
      const metric = m.object.metric.name;
      const ref = m.object.describedObject;
      const r = ctx.store.objectValues(metric, workloadResource(ref.kind), ctx.namespace, [ref.name], everything);
      if (!r.ok) return { metric, type: m.type, error: failureText(r.failure, metric) };
      const v = r.value[0];
      return v ? { metric, type: m.type, value: v.value } : { metric, type: m.type, error: `no fresh sample of ${metric}` };
    }
  }
}

function failureText(f: ReadFailure, metric: string): string {
  switch (f.kind) {
    case 'unknown-metric':
      return `${metric} is not in the adapter's catalog`;
    case 'no-source':
      return `no source for ${metric} is configured`;
    case 'unavailable':
      return f.message;
  }
}
