/**
 * The ExternalScaler RPCs. Every answer comes from memory: metadata parsing (cached) and
 * one lookup through the same provider the HTTP metrics API uses; no RPC waits on a backend.
 *
 * - GetMetricSpec is pure: it answers from the metadata alone, whatever the sources do.
 * - GetMetrics returns exactly one value (the HPA sums what it gets), int64 and double.
 * - IsActive is value > activationThreshold, read the same way as GetMetrics.
 * - Errors are statuses: INVALID_ARGUMENT (names the key), NOT_FOUND, UNAVAILABLE (source
 *   down or stale, with the reason). Never a 0 or a `false` in place of a value.
 */
import {
  status,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from '../util/log.js';
import type { ActivityHub } from './activity-hub.js';
import type {
  GetMetricSpecResponse,
  GetMetricsRequest,
  GetMetricsResponse,
  IsActiveResponse,
  ScaledObjectRef,
} from './contract.js';
import { codeName, statusError, toStatusError } from './grpc-status.js';
import type { TriggerParser } from './trigger-parser.js';
import { readTriggerValue, type MetricsProvider } from './trigger-value.js';
import { isActive, metricSpecOf, metricValueOf } from './wire-values.js';

export interface RpcObserver {
  observeRpc(rpc: string, code: string, seconds?: number): void;
}

export interface ScalerServiceOptions {
  readonly provider: MetricsProvider;
  readonly parser: TriggerParser;
  readonly hub: ActivityHub;
  readonly log: Logger;
  readonly observer?: RpcObserver;
}

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

export class ScalerService {
  /** Open StreamMetricSpec calls, ended at shutdown. */
  private readonly specStreams = new Set<ServerWritableStream<ScaledObjectRef, GetMetricSpecResponse>>();

  constructor(private readonly opts: ScalerServiceOptions) {}

  handlers(): UntypedServiceImplementation {
    return {
      IsActive: this.unary('IsActive', (ref: ScaledObjectRef): IsActiveResponse => {
        const spec = this.opts.parser.parse(ref);
        return isActive(spec, readTriggerValue(this.opts.provider, spec.read, ref.namespace));
      }),
      GetMetricSpec: this.unary('GetMetricSpec', (ref: ScaledObjectRef): GetMetricSpecResponse => ({
        metricSpecs: [metricSpecOf(this.opts.parser.parse(ref))],
      })),
      GetMetrics: this.unary('GetMetrics', (req: GetMetricsRequest): GetMetricsResponse => {
        const spec = this.opts.parser.parse(req.scaledObjectRef);
        // KEDA strips its `sN-` prefix; the HPA path may lower-case the name.
        if (req.metricName !== '' && req.metricName.toLowerCase() !== spec.metricName) {
          throw statusError(status.NOT_FOUND, `metric ${JSON.stringify(req.metricName)} is not served by this trigger; its metric is ${JSON.stringify(spec.metricName)}`);
        }
        const value = readTriggerValue(this.opts.provider, spec.read, req.scaledObjectRef?.namespace ?? '');
        return { metricValues: [metricValueOf(spec, value)] };
      }),
      StreamIsActive: (call: ServerWritableStream<ScaledObjectRef, IsActiveResponse>) => {
        try {
          const spec = this.opts.parser.parse(call.request);
          this.opts.hub.subscribe(call, spec, call.request.namespace);
          this.opts.observer?.observeRpc('StreamIsActive', 'OK');
        } catch (err) {
          this.fail(call, 'StreamIsActive', err);
        }
      },
      StreamMetricSpec: (call: ServerWritableStream<ScaledObjectRef, GetMetricSpecResponse>) => {
        try {
          const spec = this.opts.parser.parse(call.request);
          // Specs follow from the metadata alone, so this first message is also the last one.
          call.write({ metricSpecs: [metricSpecOf(spec)] });
          this.specStreams.add(call);
          const leave = () => this.specStreams.delete(call);
          call.once('cancelled', leave);
          call.once('close', leave);
          this.opts.observer?.observeRpc('StreamMetricSpec', 'OK');
        } catch (err) {
          this.fail(call, 'StreamMetricSpec', err);
        }
      },
    };
  }

  /** Ends open StreamMetricSpec calls with OK. */
  close(): void {
    for (const call of this.specStreams) if (!call.cancelled && !call.writableEnded) call.end();
    this.specStreams.clear();
  }

  private unary<Req, Res>(rpc: string, answer: (req: Req) => Res): Unary<Req, Res> {
    return (call, callback) => {
      const started = performance.now();
      let result: Res;
      try {
        result = answer(call.request);
      } catch (err) {
        const e = isServiceError(err) ? err : toStatusError(err);
        this.opts.observer?.observeRpc(rpc, codeName(e.code), (performance.now() - started) / 1000);
        this.opts.log.debug({ rpc, so: nameOf(call.request), code: codeName(e.code), err: e.details }, 'keda rpc failed');
        callback(e);
        return;
      }
      this.opts.observer?.observeRpc(rpc, 'OK', (performance.now() - started) / 1000);
      callback(null, result);
    };
  }

  private fail(call: ServerWritableStream<ScaledObjectRef, unknown>, rpc: string, err: unknown): void {
    const e = toStatusError(err);
    this.opts.observer?.observeRpc(rpc, codeName(e.code));
    this.opts.log.debug({ rpc, so: nameOf(call.request), code: codeName(e.code), err: e.details }, 'keda stream refused');
    // grpc-js ends a server stream with the status of an emitted error.
    call.emit('error', e);
  }
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'details' in err;
}

function nameOf(req: unknown): string | undefined {
  const ref = (req as { scaledObjectRef?: ScaledObjectRef | null } | null)?.scaledObjectRef ?? (req as ScaledObjectRef | null);
  return ref && typeof ref.name === 'string' ? `${ref.namespace}/${ref.name}` : undefined;
}
