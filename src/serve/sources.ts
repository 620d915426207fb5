import type { Config } from '../config/index.js';
import type { Source } from '../sources/types.js';
import type { PollerOptions } from '../store/index.js';
import { loadPromAdapterConfig, PromAdapterSource, type MetricRegistry } from '../promadapter/index.js';
import type { Logger } from '../util/log.js';
import { BullmqSource } from '../sources/bullmq.js';
import { DcgmSource } from '../sources/dcgm.js';
import { PrometheusSource } from '../sources/prometheus.js';

export interface PlannedSource {
  readonly source: Source;
  readonly poll: PollerOptions;
}

const ms = (seconds: number) => Math.round(seconds * 1000);

/** One source per configured endpoint, each with its own poll interval and timeout. */
export function buildSources(config: Config, log: Logger, registry: MetricRegistry): PlannedSource[] {
  const out: PlannedSource[] = [];
  const { dcgm, prometheus, bullmq } = config;
  const dcgmPoll = { intervalMs: ms(dcgm.intervalSeconds), timeoutMs: ms(dcgm.timeoutSeconds) };
  for (const url of dcgm.urls) {
    const source = new DcgmSource({
      url, podLabel: dcgm.podLabel, namespaceLabel: dcgm.namespaceLabel, containerLabel: dcgm.containerLabel,
      timeoutMs: dcgmPoll.timeoutMs, logger: log,
    });
    out.push({ source, poll: dcgmPoll });
  }
  if (prometheus.url) {
    const timeoutMs = ms(prometheus.timeoutSeconds);
    const source = new PrometheusSource({
      url: prometheus.url, timeoutMs, headers: prometheus.headers, rateWindow: prometheus.rateWindow,
      gpuFromPrometheus: prometheus.gpu ?? dcgm.urls.length === 0,
      podLabel: prometheus.podLabel, namespaceLabel: prometheus.namespaceLabel,
      rules: prometheus.rules, logger: log,
    });
    out.push({ source, poll: { intervalMs: ms(prometheus.intervalSeconds), timeoutMs } });
    const adapter = prometheus.adapter;
    if (adapter.config !== undefined) {
      const { rules } = loadPromAdapterConfig(adapter.config, adapter.strict, log.child({ component: 'prometheus-adapter' }));
      const promAdapter = new PromAdapterSource({
        url: prometheus.url, timeoutMs, headers: prometheus.headers, rules, registry,
        relistIntervalMs: ms(adapter.relistIntervalSeconds),
        // Like prometheus.rules: a few polls may fail before the samples count as stale.
        maxAgeMs: ms(Math.max(60, 3 * prometheus.intervalSeconds)),
        logger: log.child({ component: 'prometheus-adapter' }),
      });
      out.push({ source: promAdapter, poll: { intervalMs: ms(prometheus.intervalSeconds), timeoutMs } });
    }
  }
  const bullPoll = { intervalMs: ms(bullmq.intervalSeconds), timeoutMs: ms(bullmq.timeoutSeconds) };
  for (const url of bullmq.urls) {
    const source = new BullmqSource({
      url, prefixes: bullmq.prefixes, queues: bullmq.queues,
      discoveryIntervalMs: ms(bullmq.discoveryIntervalSeconds),
      // Connect and command share the poll's budget, so a dead Redis fails the poll, not the poller.
      connectTimeoutMs: bullPoll.timeoutMs / 2, commandTimeoutMs: bullPoll.timeoutMs / 2, logger: log,
    });
    out.push({ source, poll: bullPoll });
  }
  return out;
}
