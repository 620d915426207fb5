import type { MetricPoint } from '../store/types.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import {
  DCGM_FAMILIES,
  GPU_DUTY_CYCLE,
  GPU_MEMORY_UTILIZATION,
  dcgmPoints,
  type DcgmLabelNames,
} from './dcgm-points.js';
import { fetchWithTimeout } from './http.js';
import { parsePromText } from './prom-text.js';
import type { Source } from './types.js';

export interface DcgmSourceOptions {
  /** A dcgm-exporter endpoint, e.g. `http://10.0.0.5:9400/metrics`. */
  readonly url: string;
  /** Label carrying the pod name. Default `pod` (`exported_pod` behind a ServiceMonitor). */
  readonly podLabel?: string;
  /** Default `namespace`. */
  readonly namespaceLabel?: string;
  /** Default `container`. */
  readonly containerLabel?: string;
  /** Labels naming the node, first non-empty wins. Default `['Hostname', 'hostname']`. */
  readonly nodeLabels?: readonly string[];
  /** Whole request deadline, body included. Default 5000. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

export const DCGM_DEFAULTS = {
  podLabel: 'pod',
  namespaceLabel: 'namespace',
  containerLabel: 'container',
  nodeLabels: ['Hostname', 'hostname'],
  timeoutMs: 5000,
} as const;

/** One dcgm-exporter /metrics endpoint: per-GPU duty cycle and memory, per pod and per node. */
export class DcgmSource implements Source {
  readonly id: string;
  readonly metrics = [GPU_DUTY_CYCLE, GPU_MEMORY_UTILIZATION] as const;
  private readonly names: DcgmLabelNames;
  private readonly timeoutMs: number;

  constructor(private readonly options: DcgmSourceOptions) {
    this.id = `dcgm:${options.url}`;
    this.timeoutMs = options.timeoutMs ?? DCGM_DEFAULTS.timeoutMs;
    this.names = {
      pod: options.podLabel ?? DCGM_DEFAULTS.podLabel,
      namespace: options.namespaceLabel ?? DCGM_DEFAULTS.namespaceLabel,
      container: options.containerLabel ?? DCGM_DEFAULTS.containerLabel,
      node: options.nodeLabels ?? DCGM_DEFAULTS.nodeLabels,
    };
  }

  async poll(signal: AbortSignal): Promise<MetricPoint[]> {
    const body = await this.scrape(signal);
    const scrapeMs = Date.now();
    let points: MetricPoint[];
    try {
      points = dcgmPoints(parsePromText(body, { names: DCGM_FAMILIES }), this.names, scrapeMs);
    } catch (err) {
      const why = `cannot parse the response: ${errorMessage(err)}`;
      throw new Error(`dcgm-exporter ${this.options.url}: ${why}`, { cause: err });
    }
    this.options.logger?.debug({ source: this.id, points: points.length }, 'dcgm scrape');
    return points;
  }

  async close(): Promise<void> {
    // Nothing held open: undici's global pool owns the sockets.
  }

  private async scrape(signal: AbortSignal): Promise<string> {
    const { url } = this.options;
    try {
      return await fetchWithTimeout(url, { headers: { accept: 'text/plain' } }, this.timeoutMs, signal, readOk);
    } catch (err) {
      throw new Error(`dcgm-exporter ${url}: ${errorMessage(err)}`, { cause: err });
    }
  }
}

async function readOk(res: Response): Promise<string> {
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  return res.text();
}
