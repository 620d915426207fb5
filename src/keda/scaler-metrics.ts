/** The gRPC scaler's own metrics, on the adapter's /metrics registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PushObserver } from './activity-hub.js';

export interface StreamCounts {
  readonly streams: number;
  readonly triggers: number;
}

export class ScalerMetrics implements PushObserver {
  private readonly requests: Counter<'rpc' | 'code'>;
  private readonly latency: Histogram<'rpc'>;
  private readonly pushes: Counter<'result'>;

  constructor(registry: Registry, counts: () => StreamCounts) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'ai_metrics_adapter_keda_requests_total', help: 'KEDA external scaler RPCs by method and gRPC status.',
      labelNames: ['rpc', 'code'], registers,
    });
    this.latency = new Histogram({
      name: 'ai_metrics_adapter_keda_request_duration_seconds', help: 'KEDA external scaler unary RPC latency.',
      labelNames: ['rpc'], buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1], registers,
    });
    this.pushes = new Counter({
      name: 'ai_metrics_adapter_keda_push_messages_total', help: 'StreamIsActive messages sent, by result.',
      labelNames: ['result'], registers,
    });
    new Gauge({
      name: 'ai_metrics_adapter_keda_push_streams', help: 'Open StreamIsActive streams.', registers,
      collect() {
        this.set(counts().streams);
      },
    });
    new Gauge({
      name: 'ai_metrics_adapter_keda_push_triggers', help: 'Distinct triggers behind the open StreamIsActive streams.', registers,
      collect() {
        this.set(counts().triggers);
      },
    });
  }

  observeRpc(rpc: string, code: string, seconds?: number): void {
    this.requests.inc({ rpc, code });
    if (seconds !== undefined) this.latency.observe({ rpc }, seconds);
  }

  pushed(result: boolean): void {
    this.pushes.inc({ result: String(result) });
  }
}
