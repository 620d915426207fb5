import { fetchWithTimeout } from './http.js';

/** One element of an instant-query result. `value` may be NaN/±Inf; callers filter. */
export interface PromResultSample {
  /** Null-prototype; `__name__` removed. */
  readonly labels: Record<string, string>;
  readonly value: number;
  /** Evaluation time of the query, epoch ms. */
  readonly timestampMs: number;
}

export interface PrometheusQueryResult {
  readonly samples: PromResultSample[];
  /** `warnings` and `infos` of a successful response, for the log. */
  readonly warnings: string[];
}

export interface PrometheusClientOptions {
  /** Base URL; a path prefix (`/prometheus` on Mimir) is kept. */
  readonly url: string;
  readonly timeoutMs: number;
  readonly headers?: Record<string, string>;
}

/** Instant queries against the Prometheus HTTP API (also Thanos, Mimir, VictoriaMetrics). */
export class PrometheusClient {
  private readonly endpoint: string;

  constructor(private readonly options: PrometheusClientOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/api/v1/query`;
  }

  /** POST, so long `pod=~"a|b|…"` selectors never hit URL limits. Rejects with a one-line reason. */
  async query(promql: string, signal: AbortSignal): Promise<PrometheusQueryResult> {
    // Ask the server to give up a little before we do, so its own timeout error wins the race.
    const serverTimeout = ((this.options.timeoutMs * 0.9) / 1000).toFixed(3);
    const body = new URLSearchParams({ query: promql, timeout: serverTimeout });
    const init: RequestInit = {
      method: 'POST',
      headers: {
        ...this.options.headers,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body,
    };
    return fetchWithTimeout(this.endpoint, init, this.options.timeoutMs, signal, async (res) =>
      parseQueryResponse(res.status, await res.text()),
    );
  }
}

interface ApiEnvelope {
  status?: string;
  errorType?: string;
  error?: string;
  warnings?: string[];
  infos?: string[];
  data?: { resultType?: string; result?: unknown };
}

/** Turns an HTTP status and body into samples, or throws `HTTP <code> <errorType>: <error>`. */
export function parseQueryResponse(status: number, text: string): PrometheusQueryResult {
  const env = parseEnvelope(text);
  if (status !== 200 || env?.status !== 'success') {
    const kind = env?.errorType ? ` ${env.errorType}` : '';
    // A proxy in front of Prometheus may answer HTML or plain text; show its start.
    const detail = env?.error ?? (text.trim().slice(0, 200) || 'empty response');
    throw new Error(`HTTP ${status}${kind}: ${detail}`);
  }
  const warnings = [...(env.warnings ?? []), ...(env.infos ?? [])];
  return { samples: resultSamples(env.data?.resultType, env.data?.result), warnings };
}

function parseEnvelope(text: string): ApiEnvelope | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as ApiEnvelope) : undefined;
  } catch {
    return undefined;
  }
}

function resultSamples(type: string | undefined, result: unknown): PromResultSample[] {
  if (type === 'scalar') return [toSample({}, result)];
  if (type !== 'vector') {
    throw new Error(`unsupported result type "${type ?? 'none'}" (want an instant vector or scalar)`);
  }
  if (!Array.isArray(result)) throw new Error('malformed vector result');
  return result.map((r: { metric?: Record<string, string>; value?: unknown }) => toSample(r.metric ?? {}, r.value));
}

function toSample(metric: Record<string, string>, pair: unknown): PromResultSample {
  if (!Array.isArray(pair) || typeof pair[0] !== 'number' || typeof pair[1] !== 'string') {
    throw new Error('malformed sample value');
  }
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(metric)) if (k !== '__name__') labels[k] = v;
  return { labels, value: parseSampleValue(pair[1]), timestampMs: Math.round(pair[0] * 1000) };
}

/** Prometheus prints specials as `NaN`, `+Inf`, `-Inf`, which Number() half-understands. */
function parseSampleValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}
