import type { MetricPoint } from '../store/types.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import {
  DCGM_FAMILIES,
  GPU_DUTY_CYCLE,
  GPU_MEMORY_UTILIZATION,
  DcgmSeries,
  dcgmLabelsRead,
  type DcgmLabelNames,
} from './dcgm-points.js';
import { fetchWithTimeout } from './http.js';
import { parsePromStream, PromTextError } from './prom-text.js';
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
  private readonly labelsRead: ReadonlySet<string>;
  private readonly timeoutMs: number;
  private readonly strings = new LabelStrings();

  constructor(private readonly options: DcgmSourceOptions) {
    this.id = `dcgm:${options.url}`;
    this.timeoutMs = options.timeoutMs ?? DCGM_DEFAULTS.timeoutMs;
    this.names = {
      pod: options.podLabel ?? DCGM_DEFAULTS.podLabel,
      namespace: options.namespaceLabel ?? DCGM_DEFAULTS.namespaceLabel,
      container: options.containerLabel ?? DCGM_DEFAULTS.containerLabel,
      node: options.nodeLabels ?? DCGM_DEFAULTS.nodeLabels,
    };
    this.labelsRead = dcgmLabelsRead(this.names);
  }

  /** Parses the body as it arrives, keeping only the families and labels the points need. */
  async poll(signal: AbortSignal): Promise<MetricPoint[]> {
    this.strings.nextPoll();
    const series = new DcgmSeries(this.names, (labels) => this.strings.copy(labels));
    await this.scrape(signal, (body) => parsePromStream(body, { names: DCGM_FAMILIES, labels: this.labelsRead }, (s) => series.add(s)));
    const points = await series.pointsInTurns(Date.now());
    this.options.logger?.debug({ source: this.id, points: points.length }, 'dcgm scrape');
    return points;
  }

  async close(): Promise<void> {
    // Nothing held open: undici's global pool owns the sockets.
  }

  private async scrape(signal: AbortSignal, read: (body: AsyncIterable<Uint8Array>) => Promise<void>): Promise<void> {
    const { url } = this.options;
    try {
      await fetchWithTimeout(url, { headers: { accept: 'text/plain' } }, this.timeoutMs, signal, async (res) => {
        if (res.status !== 200 || !res.body) {
          await res.body?.cancel();
          throw new Error(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
        }
        await read(res.body);
      });
    } catch (err) {
      const parse = err instanceof Error && err.cause instanceof PromTextError ? err.cause : undefined;
      const why = parse ? `cannot parse the response: ${parse.message}` : errorMessage(err);
      throw new Error(`dcgm-exporter ${url}: ${why}`, { cause: err });
    }
  }
}

/**
 * One shared copy of each label string, kept across two polls. Parsed values are slices of
 * the response text and would keep all of it alive as long as the points live; most values
 * (pod names, GPU UUIDs) repeat every poll, so after the first poll nearly all are found here.
 */
class LabelStrings {
  private previous = new Map<string, string>();
  private current = new Map<string, string>();

  nextPoll(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  copy(labels: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const key in labels) out[key] = this.string(labels[key] ?? '');
    return out;
  }

  private string(s: string): string {
    let kept = this.current.get(s);
    if (kept === undefined) {
      // Buffer round trip: a flat copy, not a slice of the body.
      kept = this.previous.get(s) ?? Buffer.from(s).toString();
      this.current.set(kept, kept);
    }
    return kept;
  }
}
