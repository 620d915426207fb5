import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import { PrometheusClient } from '../sources/prometheus-client.js';
import type { Source } from '../sources/types.js';
import type { MetricPoint, MetricStore } from '../store/index.js';
import type { CompiledRule } from './compile.js';
import { discover, type QueryPlan, type SeriesLabels } from './discovery.js';
import { samplesToPoints } from './points.js';
import { fetchSeries } from './series-client.js';

/** Where discovered metrics are registered: the store's catalog and its source → metrics index. */
export type MetricRegistry = Pick<MetricStore, 'catalog' | 'setSourceMetrics'>;

export interface PromAdapterSourceOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly headers?: Record<string, string>;
  readonly rules: readonly CompiledRule[];
  /** How often series discovery runs again (prometheus-adapter's --metrics-relist-interval). */
  readonly relistIntervalMs: number;
  /** Max age of the served samples (catalog maxAge of every discovered metric). */
  readonly maxAgeMs: number;
  readonly registry: MetricRegistry;
  readonly logger: Logger;
  /** Queries in flight at once. Default 8. */
  readonly concurrency?: number;
  readonly now?: () => number;
}

/**
 * prometheus-adapter rules as a polled source. Discovery (`/api/v1/series` per distinct
 * seriesQuery) runs on the first poll and then every relist interval; it registers the
 * metrics found in the catalog. Every poll then runs each rule's metricsQuery once for all
 * objects (no per-request name matchers) and maps the samples to objects by label.
 */
export class PromAdapterSource implements Source {
  readonly id: string;
  /** Discovered at run time; the registry is told (MetricStore.setSourceMetrics). */
  readonly metrics: readonly string[] = [];
  private readonly client: PrometheusClient;
  private readonly now: () => number;
  private plans: readonly QueryPlan[] = [];
  private lastRelistMs: number | undefined;
  private registered: string[] = [];
  /** Last problem logged per key, so a lasting problem is logged once, not every poll. */
  private readonly reported = new Map<string, string>();

  constructor(private readonly o: PromAdapterSourceOptions) {
    this.id = `prometheus-adapter:${o.url}`;
    this.client = new PrometheusClient({ url: o.url, timeoutMs: o.timeoutMs, headers: o.headers });
    this.now = o.now ?? Date.now;
  }

  async poll(signal: AbortSignal): Promise<MetricPoint[]> {
    if (this.lastRelistMs === undefined || this.now() - this.lastRelistMs >= this.o.relistIntervalMs) {
      await this.relist(signal);
    }
    const inner = new AbortController();
    const both = AbortSignal.any([signal, inner.signal]);
    const results = await pool(this.plans, this.o.concurrency ?? 8, (plan) => this.run(plan, both, inner));
    return results.flat();
  }

  async close(): Promise<void> {
    for (const name of this.registered) this.o.registry.catalog.unregister(name);
    this.registered = [];
  }

  /** One discovery pass; a failure keeps the previous metrics (and fails the poll only before the first success). */
  async relist(signal: AbortSignal): Promise<void> {
    const startSec = (this.now() - this.o.relistIntervalMs) / 1000;
    const queries = [...new Set(this.o.rules.map((r) => r.seriesQuery))];
    let seriesByQuery: Map<string, SeriesLabels[]>;
    try {
      const found = await Promise.all(
        queries.map((q) => fetchSeries({ url: this.o.url, timeoutMs: this.o.timeoutMs, headers: this.o.headers }, q, startSec, signal)),
      );
      seriesByQuery = new Map(queries.map((q, i) => [q, found[i] ?? []]));
    } catch (err) {
      const why = `series discovery failed: ${errorMessage(err)}`;
      if (this.lastRelistMs === undefined) throw new Error(`prometheus ${this.o.url}: ${why}`, { cause: err });
      this.o.logger.warn({ source: this.id, err: why }, 'prometheus-adapter relist failed; keeping the metrics of the last one');
      this.lastRelistMs = this.now();
      return;
    }
    const d = discover(this.o.rules, seriesByQuery, this.o.maxAgeMs);
    for (const p of d.problems) this.report(`discovery ${p.rule}: ${p.message}`, { rule: p.rule }, p.message);
    this.publish(d.defs.map((def) => def.name), d.defs);
    this.plans = d.plans;
    this.lastRelistMs = this.now();
    this.o.logger.debug(
      { source: this.id, metrics: d.defs.map((x) => `${x.api}:${x.name}`), queries: d.plans.length },
      'prometheus-adapter relist',
    );
  }

  private publish(names: string[], defs: Parameters<MetricRegistry['catalog']['register']>[0][]): void {
    const { catalog } = this.o.registry;
    for (const name of this.registered) catalog.unregister(name);
    this.registered = [];
    for (const def of defs) {
      try {
        catalog.register(def, { listed: true });
        this.registered.push(def.name);
      } catch {
        // Built in, from prometheus.rules or a policy: that definition stays and our samples join its other sources'.
        this.report(
          `collision ${def.name}`,
          { metric: def.name },
          `metric ${def.name} already exists in the adapter; its existing definition (aggregation, max age, scope) applies and ` +
            'the values of every source serving it are combined — rename it with name.as to keep them apart',
        );
      }
    }
    this.o.registry.setSourceMetrics(this.id, names);
  }

  private async run(plan: QueryPlan, signal: AbortSignal, inner: AbortController): Promise<MetricPoint[]> {
    const key = `query ${plan.rule.id} ${plan.metric} ${plan.target.kind === 'external' ? (plan.target.namespace ?? '') : plan.target.resourceLabel}`;
    try {
      const { samples } = await this.client.query(plan.query, signal);
      const mapped = samplesToPoints(plan, samples);
      if (mapped.problem) this.report(key, { rule: plan.rule.id, metric: plan.metric, query: plan.query }, mapped.problem);
      else this.reported.delete(key);
      return mapped.points;
    } catch (err) {
      const msg = errorMessage(err);
      // Prometheus refusing this query (bad_data 400, execution 422) is the rule's problem, not the source's.
      if (/^HTTP 4(00|22)\b/.test(msg)) {
        this.report(key, { rule: plan.rule.id, metric: plan.metric, query: plan.query }, `query refused: ${msg}`);
        return [];
      }
      inner.abort();
      throw new Error(`prometheus ${this.o.url}: query for ${plan.metric} (${plan.rule.id}) failed: ${msg}`, { cause: err });
    }
  }

  private report(key: string, fields: Record<string, string>, message: string): void {
    if (this.reported.get(key) === message) return;
    this.reported.set(key, message);
    this.o.logger.warn({ source: this.id, ...fields, problem: message }, 'prometheus-adapter rule problem');
  }
}

async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
