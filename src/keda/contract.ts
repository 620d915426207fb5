/**
 * The wire contracts the gRPC server speaks, loaded from proto/ at start-up: KEDA's
 * ExternalScaler (proto/externalscaler.proto) and grpc.health.v1 (proto/health.proto).
 * Tests build their clients from the same files through `loadContract`.
 */
import { fileURLToPath } from 'node:url';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';

/** proto/ beside src/ and dist/: both are two levels above this file. */
export const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));
export const EXTERNAL_SCALER_PROTO = `${PROTO_DIR}externalscaler.proto`;
export const HEALTH_PROTO = `${PROTO_DIR}health.proto`;

export const EXTERNAL_SCALER_SERVICE_NAME = 'externalscaler.ExternalScaler';
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

/**
 * keepCase: the proto's camelCase names are the object keys. longs: String, so an int64
 * never loses precision on the way in; we send int64 as safe-integer numbers.
 */
export const LOADER_OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export function loadContract(file: string): PackageDefinition {
  return loadSync(file, LOADER_OPTIONS);
}

function service(def: PackageDefinition, name: string): ServiceDefinition {
  const found = def[name];
  if (!found || 'format' in found) throw new Error(`${name} is not a service in the loaded contract`);
  return found as ServiceDefinition;
}

export function externalScalerService(): ServiceDefinition {
  return service(loadContract(EXTERNAL_SCALER_PROTO), EXTERNAL_SCALER_SERVICE_NAME);
}

export function healthService(): ServiceDefinition {
  return service(loadContract(HEALTH_PROTO), HEALTH_SERVICE_NAME);
}

// Message shapes as proto-loader hands them over (LOADER_OPTIONS) and accepts them.

export interface ScaledObjectRef {
  name: string;
  namespace: string;
  scalerMetadata: Record<string, string>;
}

export interface IsActiveResponse {
  result: boolean;
}

export interface MetricSpec {
  metricName: string;
  /** int64: a safe integer going out; a decimal string coming in. */
  targetSize: number | string;
  targetSizeFloat: number;
}

export interface GetMetricSpecResponse {
  metricSpecs: MetricSpec[];
}

export interface GetMetricsRequest {
  scaledObjectRef: ScaledObjectRef | null;
  metricName: string;
}

export interface MetricValue {
  metricName: string;
  /** int64: a safe integer going out; a decimal string coming in. */
  metricValue: number | string;
  metricValueFloat: number;
}

export interface GetMetricsResponse {
  metricValues: MetricValue[];
}

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface HealthCheckRequest {
  service: string;
}

export interface HealthCheckResponse {
  status: ServingStatus;
}
