import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricStore, PollObserver } from '../store/index.js';

/**
 * The adapter's own metrics on :8080/metrics: API requests, source polls and how old the
 * served samples are. One registry per server instance, so tests can run several.
 */
export class SelfMetrics implements PollObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'code'>;
  private readonly latency: Histogram<'route'>;
  private readonly pollSeconds: Histogram<'source'>;
  private readonly pollErrors: Counter<'source'>;

  constructor(store: MetricStore) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'ai_metrics_adapter_api_requests_total', help: 'Metrics API requests by route and HTTP code.',
      labelNames: ['route', 'code'], registers,
    });
    this.latency = new Histogram({
      name: 'ai_metrics_adapter_api_request_duration_seconds', help: 'Metrics API request latency.',
      labelNames: ['route'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers,
    });
    this.pollSeconds = new Histogram({
      name: 'ai_metrics_adapter_source_poll_duration_seconds', help: 'Duration of source polls.',
      labelNames: ['source'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10], registers,
    });
    this.pollErrors = new Counter({
      name: 'ai_metrics_adapter_source_poll_errors_total', help: 'Failed source polls.', labelNames: ['source'], registers,
    });
    sourceGauges(store, this.registry);
  }

  observeRequest(route: string, code: number, seconds: number): void {
    this.requests.inc({ route, code: String(code) });
    this.latency.observe({ route }, seconds);
  }

  pollDone(source: string, seconds: number, error?: string): void {
    this.pollSeconds.observe({ source }, seconds);
    if (error !== undefined) this.pollErrors.inc({ source });
  }
}

/** Gauges read from the store at scrape time, so they never lag behind it. */
function sourceGauges(store: MetricStore, registry: Registry): void {
  new Gauge({
    name: 'ai_metrics_adapter_source_up', help: '1 when the last poll of the source succeeded.',
    labelNames: ['source'], registers: [registry],
    collect() {
      this.reset();
      for (const h of store.health()) this.set({ source: h.id }, h.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ai_metrics_adapter_sample_age_seconds', help: 'Age of the newest sample held for each source.',
    labelNames: ['source'], registers: [registry],
    collect() {
      this.reset();
      for (const a of store.sampleAges()) this.set({ source: a.source }, a.ageMs / 1000);
    },
  });
}
