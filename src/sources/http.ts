import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
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
  return underDeadline(timeoutMs, signal, async (either) => read(await fetch(url, { ...init, signal: either })));
}

/**
 * Runs `request` under the caller's signal and a deadline of `timeoutMs` (handed to it as one
 * signal), and rewrites its errors into one line that says what happened.
 */
async function underDeadline<T>(timeoutMs: number, signal: AbortSignal, request: (either: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    return await request(AbortSignal.any([signal, deadline]));
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

/**
 * GET with the body handed to `read` as it arrives, under the same deadline and error wording
 * as fetchWithTimeout. node:http rather than fetch() for bodies parsed while they stream in:
 * its socket pauses while `read` is behind, whereas fetch() kept reading and held up to the
 * whole body (8 MB of a 10 000-GPU dcgm-exporter) while the parser worked through it.
 */
export async function streamGet<T>(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
  read: (res: IncomingMessage) => Promise<T>,
): Promise<T> {
  return underDeadline(timeoutMs, signal, async (either) => {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      send(target, { headers, signal: either }, resolve).once('error', reject).end();
    });
    return read(res);
  });
}
