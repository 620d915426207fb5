import { ApiException } from '@kubernetes/client-node';

/**
 * kube-apiserver errors as one-line messages that carry the HTTP code and the Status message,
 * shared by the node-scaler's acting side (actuator, node patcher, evictor).
 */

/** An API call that failed: `code` is the HTTP status (undefined for transport errors). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The HTTP status of a failed call, when it reached kube-apiserver. */
export function httpCode(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.code;
  return err instanceof ApiException ? err.code : undefined;
}

/** kube-apiserver's own Status message (`message` of the body), or the error text. */
export function statusMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    try {
      const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown } | null;
      if (parsed && typeof parsed.message === 'string' && parsed.message) return parsed.message;
    } catch {
      // not JSON: fall through to the raw text
    }
    const text = typeof body === 'string' ? body : '';
    return text.slice(0, 300) || `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** `what: HTTP <code>: <Status message>`; errors that never reached the server keep their text. */
export function kubeError(err: unknown, what: string): KubeApiError {
  const code = httpCode(err);
  const prefix = code === undefined ? what : `${what}: HTTP ${code}`;
  return new KubeApiError(code, `${prefix}: ${statusMessage(err)}`);
}
