/**
 * The one number behind a trigger, read through the same provider the HTTP metrics API
 * serves, so KEDA and `kubectl get --raw` agree. Throws the provider's errors as they are
 * (NotFound, BadRequest, ServiceUnavailable); never makes a value up when nothing matched.
 */
import { ProviderError, type CustomMetricsProvider, type ExternalMetricsProvider } from '../provider/index.js';
import type { Aggregation } from '../store/index.js';
import type { TriggerRead } from './trigger-metadata.js';

export type MetricsProvider = CustomMetricsProvider & ExternalMetricsProvider;

/** `namespace` is the ScaledObject's; external series belong to no namespace. */
export function readTriggerValue(provider: MetricsProvider, read: TriggerRead, namespace: string): number {
  if (read.api === 'external') {
    const series = provider.getExternalMetric(namespace, read.metric, read.series);
    if (series.length === 0) throw new ProviderError('NotFound', noSeries(read));
    return combine(read.aggregation, series.map((s) => s.value));
  }
  const values = provider.getMetricBySelector(read.resource, read.namespace, read.objects, read.metric, read.series);
  if (values.length === 0) {
    const where = read.namespace !== undefined ? ` in namespace ${read.namespace}` : '';
    const which = read.objects.isEmpty() ? '' : ` matching labelSelector "${read.objects.toString()}"`;
    const series = read.series.isEmpty() ? '' : ` (metricLabelSelector "${read.series.toString()}")`;
    throw new ProviderError('NotFound', `found no ${read.resource.resource}${where}${which} with a fresh ${read.metric} sample${series}`);
  }
  return combine(read.aggregation, values.map((v) => v.value));
}

function noSeries(read: Extract<TriggerRead, { api: 'external' }>): string {
  const base = `no series of ${read.metric} match ${read.series.isEmpty() ? 'the trigger' : `{${read.series.toString()}}`}`;
  if (!read.queue) return base;
  const prefix = read.queue.prefix !== undefined ? ` under prefix ${JSON.stringify(read.queue.prefix)}` : '';
  return `${base}: no BullMQ queue ${JSON.stringify(read.queue.name)}${prefix} exists in the configured Redis`;
}

/** `values` is never empty. */
function combine(kind: Aggregation, values: readonly number[]): number {
  switch (kind) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'mean':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'max':
      return values.reduce((a, b) => Math.max(a, b), -Infinity);
  }
}
