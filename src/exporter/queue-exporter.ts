import { Gauge, type Registry } from 'prom-client';
import type { MetricStore } from '../store/index.js';

const QUEUE_METRIC = 'redis_queue_depth';

/** The per-state gauges an existing queue exporter (and its Prometheus rules) uses. */
const STATE_GAUGES = [
  ['redis_queue_waiting', 'waiting', 'Jobs waiting in the queue (the wait list).'],
  ['redis_queue_active', 'active', 'Jobs held by a worker.'],
  ['redis_queue_delayed', 'delayed', 'Jobs scheduled for later.'],
  ['redis_queue_failed', 'failed', 'Jobs that failed.'],
] as const;

/**
 * BullMQ queue depths on :8080/metrics, read from the same store the metrics APIs serve.
 * While a Redis endpoint is failing or stale its series disappear and `redis_queue_up`
 * drops to 0: a scrape must not turn "unknown" into an empty queue.
 */
export function registerQueueExporter(store: MetricStore, registry: Registry): void {
  const healthy = () => store.externalBySource(QUEUE_METRIC).filter((s) => s.ok).flatMap((s) => s.points);
  new Gauge({
    name: 'redis_queue_up',
    help: '1 when the last read of this Redis endpoint succeeded within its maximum age, else 0.',
    labelNames: ['redis'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of store.externalBySource(QUEUE_METRIC)) this.set({ redis: s.source.replace(/^bullmq:/, '') }, s.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: QUEUE_METRIC,
    help: 'BullMQ jobs by queue and state; queue_type="total" is waiting + paused + prioritized + active.',
    labelNames: ['queue_name', 'queue_type', 'prefix'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of healthy()) this.set(queueLabels(p.labels, p.labels.queue_type ?? ''), p.value);
    },
  });
  for (const [name, type, help] of STATE_GAUGES) {
    new Gauge({
      name,
      help,
      labelNames: ['queue_name', 'prefix'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of healthy()) if (p.labels.queue_type === type) this.set(queueLabels(p.labels), p.value);
      },
    });
  }
}

function queueLabels(labels: Readonly<Record<string, string>>, queueType?: string): Record<string, string> {
  // prom-client prints labels in insertion order: queue_name, queue_type, prefix.
  const out: Record<string, string> = { queue_name: labels.queue_name ?? '' };
  if (queueType !== undefined) out.queue_type = queueType;
  out.prefix = labels.prefix ?? '';
  return out;
}
