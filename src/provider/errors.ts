/**
 * Errors a provider raises. The API layer maps each kind to a metav1.Status with the
 * matching reason and HTTP code; the messages are shown to users as-is.
 */
export type ProviderErrorKind = 'NotFound' | 'BadRequest' | 'ServiceUnavailable';

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export function metricNotFound(metric: string, resource: string, why?: string): ProviderError {
  const base = `the server could not find the metric ${metric} for ${resource}`;
  return new ProviderError('NotFound', why ? `${base}: ${why}` : base);
}

export function objectMetricNotFound(metric: string, resource: string, name: string): ProviderError {
  return new ProviderError('NotFound', `the server could not find the metric ${metric} for ${resource} ${name}`);
}

export function unavailable(message: string): ProviderError {
  return new ProviderError('ServiceUnavailable', message);
}

export function badRequest(message: string): ProviderError {
  return new ProviderError('BadRequest', message);
}
