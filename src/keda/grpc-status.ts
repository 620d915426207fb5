/**
 * Errors as gRPC statuses. KEDA treats any non-OK answer as a failed trigger and keeps the
 * workload where it is, which is exactly what a missing or stale metric must do.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ProviderError } from '../provider/index.js';
import { errorMessage } from '../util/errors.js';
import { TriggerMetadataError } from './trigger-metadata.js';

export function statusError(code: status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

/** Bad metadata → INVALID_ARGUMENT; provider errors by kind; anything else → INTERNAL. */
export function toStatusError(err: unknown): ServiceError {
  if (err instanceof TriggerMetadataError) return statusError(status.INVALID_ARGUMENT, err.message);
  if (err instanceof ProviderError) {
    switch (err.kind) {
      case 'NotFound':
        return statusError(status.NOT_FOUND, err.message);
      case 'BadRequest':
        return statusError(status.INVALID_ARGUMENT, err.message);
      case 'ServiceUnavailable':
        return statusError(status.UNAVAILABLE, err.message);
    }
  }
  return statusError(status.INTERNAL, errorMessage(err));
}

/** Name of a status code for logs and metric labels: `UNAVAILABLE`. */
export function codeName(code: status): string {
  return status[code] ?? String(code);
}
