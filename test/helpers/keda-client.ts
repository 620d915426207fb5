/**
 * A KEDA-like gRPC client built from the same proto/ files the server loads: promise
 * wrappers for the unary RPCs and a recorder for StreamIsActive that timestamps every
 * message, so tests can assert on push latency.
 */
import {
  credentials as grpcCredentials,
  loadPackageDefinition,
  Metadata,
  type ChannelCredentials,
  type Client,
  type ClientReadableStream,
  type ServiceClientConstructor,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import {
  EXTERNAL_SCALER_PROTO,
  HEALTH_PROTO,
  loadContract,
  type GetMetricSpecResponse,
  type GetMetricsResponse,
  type HealthCheckResponse,
  type IsActiveResponse,
  type ScaledObjectRef,
} from '../../src/keda/index.js';

type Callback<T> = (err: ServiceError | null, res?: T) => void;

interface RawScalerClient extends Client {
  IsActive(req: ScaledObjectRef, md: Metadata, opts: { deadline: number }, cb: Callback<IsActiveResponse>): void;
  GetMetricSpec(req: ScaledObjectRef, md: Metadata, opts: { deadline: number }, cb: Callback<GetMetricSpecResponse>): void;
  GetMetrics(req: { scaledObjectRef: ScaledObjectRef; metricName: string }, md: Metadata, opts: { deadline: number }, cb: Callback<GetMetricsResponse>): void;
  StreamIsActive(req: ScaledObjectRef): ClientReadableStream<IsActiveResponse>;
  StreamMetricSpec(req: ScaledObjectRef): ClientReadableStream<GetMetricSpecResponse>;
}

interface RawHealthClient extends Client {
  Check(req: { service: string }, md: Metadata, opts: { deadline: number }, cb: Callback<HealthCheckResponse>): void;
  Watch(req: { service: string }): ClientReadableStream<HealthCheckResponse>;
}

function ctor(file: string, path: string[]): ServiceClientConstructor {
  let node: unknown = loadPackageDefinition(loadContract(file));
  for (const p of path) node = (node as Record<string, unknown>)[p];
  return node as ServiceClientConstructor;
}

/** The gRPC status code of a failed call, with its details, e.g. `14 UNAVAILABLE: …`. */
export type CallError = ServiceError;

export function ref(metadata: Record<string, string>, name = 'worker', namespace = 'default'): ScaledObjectRef {
  return { name, namespace, scalerMetadata: metadata };
}

export interface StreamRecorder<T> {
  /** Every message with the time it arrived (performance.now()). */
  readonly messages: { value: T; atMs: number }[];
  /** Resolves with the first message after index `from` that satisfies `pred`. */
  waitFor(pred: (v: T) => boolean, timeoutMs: number, from?: number): Promise<{ value: T; atMs: number }>;
  /** Resolves when the server ended the stream (status) or the call was cancelled. */
  readonly ended: Promise<StatusObject | ServiceError>;
  cancel(): void;
}

function record<T>(call: ClientReadableStream<T>): StreamRecorder<T> {
  const messages: { value: T; atMs: number }[] = [];
  const waiters = new Set<() => void>();
  call.on('data', (value: T) => {
    messages.push({ value, atMs: performance.now() });
    for (const w of [...waiters]) w();
  });
  const ended = new Promise<StatusObject | ServiceError>((resolve) => {
    call.on('status', (s: StatusObject) => resolve(s));
    call.on('error', (e: ServiceError) => resolve(e));
  });
  return {
    messages,
    ended,
    cancel: () => call.cancel(),
    waitFor(pred, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.slice(from).find((m) => pred(m.value));
          if (!found) return false;
          cleanup();
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages.map((m) => m.value))}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(onMessage);
        };
        const onMessage = () => void check();
        if (!check()) waiters.add(onMessage);
      });
    },
  };
}

export class ScalerClient {
  private readonly raw: RawScalerClient;
  private readonly health: RawHealthClient;

  constructor(address: string, creds: ChannelCredentials = grpcCredentials.createInsecure(), options: Record<string, string | number> = {}) {
    this.raw = new (ctor(EXTERNAL_SCALER_PROTO, ['externalscaler', 'ExternalScaler']))(address, creds, options) as unknown as RawScalerClient;
    this.health = new (ctor(HEALTH_PROTO, ['grpc', 'health', 'v1', 'Health']))(address, creds, options) as unknown as RawHealthClient;
  }

  isActive(r: ScaledObjectRef, timeoutMs = 3_000): Promise<IsActiveResponse> {
    return new Promise((resolve, reject) =>
      this.raw.IsActive(r, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as IsActiveResponse))),
    );
  }

  getMetricSpec(r: ScaledObjectRef, timeoutMs = 3_000): Promise<GetMetricSpecResponse> {
    return new Promise((resolve, reject) =>
      this.raw.GetMetricSpec(r, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as GetMetricSpecResponse))),
    );
  }

  getMetrics(r: ScaledObjectRef, metricName: string, timeoutMs = 3_000): Promise<GetMetricsResponse> {
    return new Promise((resolve, reject) =>
      this.raw.GetMetrics({ scaledObjectRef: r, metricName }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
        err ? reject(err) : resolve(res as GetMetricsResponse),
      ),
    );
  }

  /** What KEDA's scale loop does per trigger and poll: spec, then value, then activity. */
  async poll(r: ScaledObjectRef): Promise<{ name: string; target: number; value: number; active: boolean }> {
    const spec = (await this.getMetricSpec(r)).metricSpecs[0];
    if (!spec) throw new Error('no metric spec');
    const values = (await this.getMetrics(r, spec.metricName)).metricValues;
    if (values.length !== 1) throw new Error(`expected one value, got ${values.length}`);
    const v = values[0] as NonNullable<(typeof values)[0]>;
    // KEDA ≥ 2.17: the float when > 0, else the int64.
    const value = v.metricValueFloat > 0 ? v.metricValueFloat : Number(v.metricValue);
    const active = (await this.isActive(r)).result;
    return { name: spec.metricName, target: spec.targetSizeFloat > 0 ? spec.targetSizeFloat : Number(spec.targetSize), value, active };
  }

  streamIsActive(r: ScaledObjectRef): StreamRecorder<IsActiveResponse> {
    return record(this.raw.StreamIsActive(r));
  }

  streamMetricSpec(r: ScaledObjectRef): StreamRecorder<GetMetricSpecResponse> {
    return record(this.raw.StreamMetricSpec(r));
  }

  check(service: string, timeoutMs = 3_000): Promise<HealthCheckResponse> {
    return new Promise((resolve, reject) =>
      this.health.Check({ service }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as HealthCheckResponse))),
    );
  }

  watchHealth(service: string): StreamRecorder<HealthCheckResponse> {
    return record(this.health.Watch({ service }));
  }

  close(): void {
    this.raw.close();
    this.health.close();
  }
}

/** Runs `p` and returns the gRPC error it rejects with (fails when it resolves). */
export async function rpcError(p: Promise<unknown>): Promise<CallError> {
  try {
    await p;
  } catch (err) {
    return err as CallError;
  }
  throw new Error('expected the call to fail');
}
