import type { MetricPoint } from '../store/types.js';

/**
 * A metric source: something the store polls on its own schedule. One instance per
 * backend endpoint (one dcgm-exporter URL, one Prometheus, one Redis), so a failing
 * endpoint is reported by name.
 */
export interface Source {
  /** Stable id used in logs, health and error messages, e.g. `dcgm:http://10.0.0.5:9400/metrics`. */
  readonly id: string;
  /** Catalog metric names this source provides; fixed at construction. */
  readonly metrics: readonly string[];
  /**
   * Read everything this source knows now. Resolves with every point (finite values only)
   * or rejects with an Error whose message says what failed. Must honour `signal`.
   */
  poll(signal: AbortSignal): Promise<MetricPoint[]>;
  /** Release connections. */
  close(): Promise<void>;
}
