/**
 * grpc.health.v1 for Kubernetes `grpc` probes and grpc_health_probe. Service `""` is the
 * process (liveness); `externalscaler.ExternalScaler` is SERVING once every source has
 * been polled once, so a readiness probe on it keeps KEDA away until values can exist.
 * Both turn NOT_SERVING at shutdown.
 */
import { status, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { HealthCheckRequest, HealthCheckResponse, ServingStatus } from './contract.js';
import { statusError } from './grpc-status.js';

export interface HealthCheck {
  /** Fully qualified service name, or `""` for the whole server. */
  readonly service: string;
  serving(): boolean;
}

type WatchCall = ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;

/** How often Watch streams re-check their service, ms. */
const WATCH_EVERY_MS = 1_000;

export class HealthService {
  private shuttingDown = false;
  private readonly watchers = new Map<WatchCall, ServingStatus | undefined>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly checks: readonly HealthCheck[]) {}

  handlers(): UntypedServiceImplementation {
    return {
      Check: (call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) => {
        const s = this.statusOf(call.request.service);
        if (s === 'SERVICE_UNKNOWN') callback(statusError(status.NOT_FOUND, `unknown service ${JSON.stringify(call.request.service)}`));
        else callback(null, { status: s });
      },
      Watch: (call: WatchCall) => this.watch(call),
    };
  }

  /** Everything NOT_SERVING; Watch streams get that and are ended. */
  shutdown(): void {
    this.shuttingDown = true;
    this.sendChanges();
    for (const call of this.watchers.keys()) if (!call.cancelled && !call.writableEnded) call.end();
    this.watchers.clear();
    clearInterval(this.timer);
  }

  statusOf(service: string): ServingStatus {
    const check = this.checks.find((c) => c.service === service);
    if (!check) return 'SERVICE_UNKNOWN';
    return !this.shuttingDown && check.serving() ? 'SERVING' : 'NOT_SERVING';
  }

  private watch(call: WatchCall): void {
    this.watchers.set(call, undefined);
    const leave = () => {
      this.watchers.delete(call);
      if (this.watchers.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
    call.once('cancelled', leave);
    call.once('close', leave);
    this.timer ??= setInterval(() => this.sendChanges(), WATCH_EVERY_MS).unref();
    this.sendChanges();
  }

  private sendChanges(): void {
    for (const [call, last] of this.watchers) {
      const now = this.statusOf(call.request.service);
      if (now === last || call.cancelled || call.writableEnded) continue;
      this.watchers.set(call, now);
      call.write({ status: now });
    }
  }
}
