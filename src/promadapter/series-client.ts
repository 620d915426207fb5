import { fetchWithTimeout } from '../sources/http.js';

export interface SeriesClientOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly headers?: Record<string, string>;
}

/** `POST /api/v1/series`: the label sets matching `match[]` seen since `startSec`. */
export async function fetchSeries(
  o: SeriesClientOptions,
  match: string,
  startSec: number,
  signal: AbortSignal,
): Promise<Record<string, string>[]> {
  const url = `${o.url.replace(/\/+$/, '')}/api/v1/series`;
  const body = new URLSearchParams({ 'match[]': match, start: startSec.toFixed(3) });
  const init: RequestInit = {
    method: 'POST',
    headers: { ...o.headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body,
  };
  return fetchWithTimeout(url, init, o.timeoutMs, signal, async (res) => parseSeries(res.status, await res.text()));
}

function parseSeries(status: number, text: string): Record<string, string>[] {
  let env: { status?: string; error?: string; errorType?: string; data?: unknown } | undefined;
  try {
    env = JSON.parse(text) as typeof env;
  } catch {
    env = undefined;
  }
  if (status !== 200 || env?.status !== 'success') {
    const kind = env?.errorType ? ` ${env.errorType}` : '';
    throw new Error(`HTTP ${status}${kind}: ${env?.error ?? (text.trim().slice(0, 200) || 'empty response')}`);
  }
  if (!Array.isArray(env.data)) throw new Error('malformed series response');
  return env.data as Record<string, string>[];
}
