/**
 * The KEDA external scaler as a gRPC server (:6000): ExternalScaler, grpc.health.v1, push
 * streams and the BullMQ signals behind them. It reads through the provider the HTTP API
 * uses and writes queue refreshes through the shared MetricStore.
 */
import { Server } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { MetricStore } from '../store/index.js';
import type { Logger } from '../util/log.js';
import { ActivityHub } from './activity-hub.js';
import { EXTERNAL_SCALER_SERVICE_NAME, externalScalerService, healthService } from './contract.js';
import { HealthService } from './health-service.js';
import { QueueSignals } from './queue-signals.js';
import type { PushQueueSource } from './queue-refresher.js';
import { ScalerMetrics } from './scaler-metrics.js';
import { ScalerService } from './scaler-service.js';
import { serverCredentials, type ScalerTls } from './server-credentials.js';
import { TriggerParser } from './trigger-parser.js';
import type { MetricsProvider } from './trigger-value.js';

export interface KedaServerOptions {
  readonly store: MetricStore;
  /** The provider behind the HTTP metrics API: same numbers on both doors. */
  readonly provider: MetricsProvider;
  /** BullMQ sources whose queues push streams watch (events + immediate re-reads). */
  readonly queueSources?: readonly PushQueueSource[];
  readonly tls?: ScalerTls;
  /** Readiness of the ExternalScaler health service; default: every source polled once. */
  readonly ready?: () => boolean;
  /** Metrics registry (the adapter's /metrics); none in library use. */
  readonly registry?: Registry;
  readonly log: Logger;
  /** Push fallback: re-evaluation period of every open stream, ms. Default 500. */
  readonly pushEvaluateEveryMs?: number;
  /** How long one XREAD on BullMQ events blocks, ms. Default 5000. */
  readonly eventsBlockMs?: number;
}

/** Server pings idle connections so dead KEDA peers (and idle-timeout middleboxes) are noticed. */
const SERVER_OPTIONS = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.max_receive_message_length': 1024 * 1024,
};

export class KedaGrpcServer {
  private readonly server = new Server(SERVER_OPTIONS);
  private readonly hub: ActivityHub;
  private readonly signals: QueueSignals;
  private readonly scaler: ScalerService;
  private readonly health: HealthService;
  private boundPort = 0;

  constructor(private readonly opts: KedaServerOptions) {
    const log = opts.log;
    this.signals = new QueueSignals(opts.store, opts.queueSources ?? [], log, opts.eventsBlockMs !== undefined ? { blockMs: opts.eventsBlockMs } : {});
    const counts = () => ({ streams: this.hub.streams, triggers: this.hub.triggers });
    const metrics = opts.registry ? new ScalerMetrics(opts.registry, counts) : undefined;
    this.hub = new ActivityHub({
      provider: opts.provider, signals: this.signals, log,
      ...(opts.pushEvaluateEveryMs !== undefined ? { evaluateEveryMs: opts.pushEvaluateEveryMs } : {}),
      ...(metrics ? { observer: metrics } : {}),
    });
    const parser = new TriggerParser(opts.store.catalog);
    this.scaler = new ScalerService({ provider: opts.provider, parser, hub: this.hub, log, ...(metrics ? { observer: metrics } : {}) });
    const ready = opts.ready ?? (() => opts.store.allPolledOnce());
    this.health = new HealthService([
      { service: '', serving: () => true },
      { service: EXTERNAL_SCALER_SERVICE_NAME, serving: ready },
    ]);
    this.server.addService(externalScalerService(), this.scaler.handlers());
    this.server.addService(healthService(), this.health.handlers());
  }

  get port(): number {
    return this.boundPort;
  }

  /** Open push streams and distinct watched queues, for tests and metrics. */
  get pushState(): { streams: number; triggers: number; queues: number } {
    return { streams: this.hub.streams, triggers: this.hub.triggers, queues: this.signals.size };
  }

  /** Binds `host:port` (port 0: any free one) and serves. */
  async start(host: string, port: number): Promise<number> {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const creds = serverCredentials(this.opts.tls);
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, creds, (err, bound) => (err ? reject(new Error(`gRPC listen on ${address}: ${err.message}`)) : resolve(bound)));
    });
    return this.boundPort;
  }

  /** Health turns NOT_SERVING, streams end with OK, then the server drains (forced after `graceMs`). */
  async stop(graceMs = 2_000): Promise<void> {
    this.health.shutdown();
    this.hub.close();
    this.scaler.close();
    await this.signals.stop();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
