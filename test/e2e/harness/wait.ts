/** Polling with a deadline; a timeout says what was awaited, the last error, and the object's status. */

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Called once on timeout; its text (e.g. `kubectl get … -o yaml`) is appended to the error. */
  readonly describe?: () => Promise<string> | string;
}

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

/** Thrown by a check to stop waiting at once (e.g. the process it waits for exited). */
export class GiveUp extends Error {
  override readonly name = 'GiveUp';
}

/**
 * Calls `check` until it returns a value other than undefined/false (which is returned), or
 * throws WaitTimeoutError. Errors thrown by `check` count as "not yet" and the last one is
 * reported, except GiveUp, which is rethrown at once.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions): Promise<T> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const interval = options.intervalMs ?? 250;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
  let status = '';
  if (options.describe) {
    try {
      status = String(await options.describe());
    } catch (err) {
      status = `(could not describe: ${err instanceof Error ? err.message : String(err)})`;
    }
  }
  const lastText = last === undefined ? '' : `\nlast error: ${last instanceof Error ? last.message : String(last)}`;
  const statusText = status ? `\nstatus:\n${indent(status)}` : '';
  throw new WaitTimeoutError(`timed out after ${((Date.now() - started) / 1000).toFixed(1)} s waiting for ${what}${lastText}${statusText}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
