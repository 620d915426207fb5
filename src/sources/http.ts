import { errorMessage } from '../util/errors.js';

/**
 * fetch() bounded by `timeoutMs` and the caller's signal. The deadline covers the body too:
 * `read` runs under the same signal, so an endpoint that sends headers and then stalls
 * still rejects on time. Errors are rewritten into one line that says what happened.
 */
export async function fetchWithTimeout<T>(
  url: string,
  init: RequestInit,
  timeoutMs: number,
  signal: AbortSignal,
  read: (res: Response) => Promise<T>,
): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.any([signal, deadline]) });
    return await read(res);
  } catch (err) {
    if (deadline.aborted && !signal.aborted) throw new Error(`no response within ${timeoutMs} ms`, { cause: err });
    if (signal.aborted) throw new Error('request aborted', { cause: err });
    throw new Error(describeFetchError(err), { cause: err });
  }
}

/** undici reports "fetch failed" and hides the useful part (ECONNREFUSED, DNS…) in `cause`. */
export function describeFetchError(err: unknown): string {
  const msg = errorMessage(err);
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause === undefined) return msg;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : '';
  const causeMsg = errorMessage(cause);
  return code && !causeMsg.includes(code) ? `${msg}: ${code} ${causeMsg}` : `${msg}: ${causeMsg}`;
}
