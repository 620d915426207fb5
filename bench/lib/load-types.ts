/** The load generator's job and result, shared by bench/api.bench.ts and bench/lib/load-client.ts. */

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** PEM the client trusts (the server's self-signed certificate). */
  readonly ca: string;
  /** Body size every 200 answer must have; anything else counts as an error. */
  readonly expectBytes: number;
}

export type LoadJob =
  /** Closed loop: `concurrency` keep-alive connections, each sending its next request when the last answered. */
  | { readonly kind: 'closed'; readonly target: Target; readonly concurrency: number; readonly warmupMs: number; readonly durationMs: number }
  /** Open loop: requests scheduled every 1/rate s whatever the answers do; latency counts from the scheduled time. */
  | { readonly kind: 'open'; readonly target: Target; readonly rate: number; readonly warmupMs: number; readonly durationMs: number };

export interface LoadResult {
  /** Requests started inside the measured window and answered. */
  readonly requests: number;
  /** Non-200 answers, wrong body sizes and transport errors inside the measured window. */
  readonly errors: number;
  readonly firstError?: string;
  /** Requests of the measured window that had to open a new connection (0 = all keep-alive). */
  readonly newConnections: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}
