import { isDeepStrictEqual } from 'node:util';
import { Poller, type MetricStore, type PollObserver } from '../store/index.js';
import type { Logger } from '../util/log.js';
import { PolicyQuerySource, type PrometheusEndpoint } from './policy-query-source.js';
import type { PolicyQuery } from './policy-spec.js';

export interface PolicyPrometheus extends PrometheusEndpoint {
  readonly intervalMs: number;
}

export interface PolicyMetricsOptions {
  readonly store: MetricStore;
  /** Where policy PromQL runs; absent when no Prometheus is configured. */
  readonly prometheus?: PolicyPrometheus;
  readonly log: Logger;
  readonly observer?: PollObserver;
}

/** Whether a policy's metrics are being served, and why not. */
export type MetricsState =
  | { readonly ok: true; readonly message: string }
  | { readonly ok: false; readonly reason: 'NoPrometheus' | 'QueryFailing' | 'FirstPollPending'; readonly message: string };

const FIRST_POLL = 'first poll pending';

/**
 * Runtime registration of the PromQL metrics policies define: each policy's queries become
 * catalog entries (Catalog.register) served from one store source that a Poller refreshes on
 * the Prometheus interval. Changing a policy's queries replaces its source; deleting the policy
 * removes its metrics from the catalog and the store.
 */
export class PolicyMetrics {
  /** Every synced policy's queries, served or not. */
  private readonly wanted = new Map<string, readonly PolicyQuery[]>();
  private readonly running = new Map<string, { readonly poller: Poller; readonly sourceId: string }>();

  constructor(private readonly opts: PolicyMetricsOptions) {}

  /** Makes `queries` the metrics of policy `key` (namespace/name). */
  async sync(key: string, queries: readonly PolicyQuery[]): Promise<MetricsState> {
    if (isDeepStrictEqual(this.wanted.get(key), queries)) return this.state(key);
    await this.remove(key);
    this.wanted.set(key, queries);
    const prom = this.opts.prometheus;
    if (queries.length === 0 || !prom) return this.state(key);
    const { store, log, observer } = this.opts;
    // A policy metric may be as old as a few polls before it counts as stale (as for rules).
    const maxAgeMs = Math.max(60_000, 3 * prom.intervalMs);
    for (const q of queries) {
      store.catalog.register({ api: 'custom', name: q.metric, resources: [q.resource], aggregation: 'max', maxAgeMs, description: `policy ${key}: ${q.query}` });
    }
    const sourceId = `policy:${key}`;
    const source = new PolicyQuerySource(sourceId, queries, prom);
    const poller = new Poller(source, store, { intervalMs: prom.intervalMs, timeoutMs: prom.timeoutMs }, log.child({ component: 'policy-metrics', policy: key }), observer);
    // Counts as attempted, so readiness never waits on a policy added at runtime; reads answer
    // "unavailable: first poll pending" until the first poll lands.
    store.fail(sourceId, FIRST_POLL);
    this.running.set(key, { poller, sourceId });
    void poller.start();
    log.info({ policy: key, metrics: queries.map((q) => q.metric) }, 'registered policy metrics');
    return this.state(key);
  }

  /** The metrics of `key` now: served, failing, or not served and why. */
  state(key: string): MetricsState {
    const queries = this.wanted.get(key) ?? [];
    if (queries.length === 0) return { ok: true, message: 'the policy defines no PromQL metrics' };
    const run = this.running.get(key);
    if (!run) return { ok: false, reason: 'NoPrometheus', message: 'the policy has PromQL metrics but the adapter has no prometheus.url (--prometheus-url)' };
    const health = this.opts.store.health().find((h) => h.id === run.sourceId);
    const names = queries.map((q) => q.metric).join(', ');
    if (health?.lastError === FIRST_POLL) return { ok: false, reason: 'FirstPollPending', message: `serving ${names} after the first Prometheus poll` };
    if (!health?.ok) return { ok: false, reason: 'QueryFailing', message: health?.reason ?? `source ${run.sourceId} is not registered` };
    return { ok: true, message: `serving ${names}` };
  }

  async remove(key: string): Promise<void> {
    const queries = this.wanted.get(key) ?? [];
    this.wanted.delete(key);
    const run = this.running.get(key);
    if (!run) return;
    this.running.delete(key);
    await run.poller.stop();
    this.opts.store.unregisterSource(run.sourceId);
    for (const q of queries) this.opts.store.catalog.unregister(q.metric);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.wanted.keys()].map((k) => this.remove(k)));
  }
}
