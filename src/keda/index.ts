export { KedaGrpcServer, type KedaServerOptions } from './grpc-server.js';
export type { ScalerTls } from './server-credentials.js';
export type { PushQueueSource } from './queue-refresher.js';
export {
  EXTERNAL_SCALER_PROTO,
  HEALTH_PROTO,
  EXTERNAL_SCALER_SERVICE_NAME,
  HEALTH_SERVICE_NAME,
  LOADER_OPTIONS,
  loadContract,
  type ScaledObjectRef,
  type GetMetricsRequest,
  type GetMetricsResponse,
  type GetMetricSpecResponse,
  type IsActiveResponse,
  type MetricSpec,
  type MetricValue,
  type HealthCheckResponse,
} from './contract.js';
export { parseTriggerMetadata, TriggerMetadataError, METADATA_KEYS, QUEUE_METRIC, type TriggerSpec } from './trigger-metadata.js';
