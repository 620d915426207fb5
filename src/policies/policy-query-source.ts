import type { MetricPoint } from '../store/index.js';
import type { Source } from '../sources/types.js';
import { PrometheusClient } from '../sources/prometheus-client.js';
import { errorMessage } from '../util/errors.js';
import type { PolicyQuery } from './policy-spec.js';

export interface PrometheusEndpoint {
  readonly url: string;
  readonly timeoutMs: number;
  readonly headers?: Record<string, string>;
}

/**
 * The PromQL of one AIInferenceAutoscalerPolicy as a store source. Every sample a query returns
 * is a value of the policy's target object (the workload), whatever its labels; the remaining
 * labels stay as series labels and several samples of one object combine by the catalog's
 * aggregation. One failing query fails the poll, so the policy's metrics are never half fresh.
 */
export class PolicyQuerySource implements Source {
  readonly metrics: readonly string[];
  private readonly client: PrometheusClient;

  constructor(
    readonly id: string,
    private readonly queries: readonly PolicyQuery[],
    endpoint: PrometheusEndpoint,
  ) {
    this.metrics = queries.map((q) => q.metric);
    this.client = new PrometheusClient(endpoint);
  }

  async poll(signal: AbortSignal): Promise<MetricPoint[]> {
    const results = await Promise.all(this.queries.map((q) => this.run(q, signal)));
    return results.flat();
  }

  async close(): Promise<void> {
    // Nothing held open.
  }

  private async run(q: PolicyQuery, signal: AbortSignal): Promise<MetricPoint[]> {
    let samples;
    try {
      ({ samples } = await this.client.query(q.query, signal));
    } catch (err) {
      throw new Error(`query for ${q.metric} failed: ${errorMessage(err)}`, { cause: err });
    }
    return samples
      .filter((s) => Number.isFinite(s.value))
      .map((s) => ({
        metric: q.metric,
        target: { kind: 'object', resource: q.resource, namespace: q.namespace, name: q.name },
        labels: { ...s.labels },
        value: s.value,
        timestampMs: s.timestampMs,
      }));
  }
}
