/** A review that kube-apiserver did not answer in time (Go's delegating clients give up after 10 s). */
export class ReviewTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer from kube-apiserver within ${ms} ms`);
    this.name = 'ReviewTimeoutError';
  }
}

/**
 * Why a review could not be made, in words safe to send to a caller who is not authenticated
 * yet: the kind of failure and kube-apiserver's HTTP code, never the raw error (addresses,
 * response bodies). The raw error goes to the log.
 */
export function describeReviewFailure(err: unknown, what: string): string {
  if (err instanceof ReviewTimeoutError) return err.message;
  const code = (err as { code?: unknown } | undefined)?.code;
  // client-node's ApiException carries the HTTP status as a number; network errors carry string codes (ECONNREFUSED).
  if (typeof code === 'number') return `kube-apiserver answered the ${what} with HTTP ${code}`;
  return `kube-apiserver could not be reached for the ${what}`;
}
