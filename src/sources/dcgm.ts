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
import { streamGet } from './http.js';
import { LabelSets } from './label-sets.js';
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
  /** Label objects and series kept from poll to poll, so a steady exporter allocates little per poll. */
  private readonly labelSets = new LabelSets();
  private readonly series: DcgmSeries;
  /** Bumped per poll: a poll that timed out and still runs must not write into the next one's series. */
  private polls = 0;

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
    this.series = new DcgmSeries(this.names);
  }

  /** Parses the body as it arrives, keeping only the families and labels the points need. */
  async poll(signal: AbortSignal): Promise<MetricPoint[]> {
    const poll = ++this.polls;
    const current = () => {
      if (poll !== this.polls) throw new Error('superseded by a newer poll');
    };
    this.labelSets.nextPoll();
    this.series.startPoll();
    const options = { names: DCGM_FAMILIES, labels: this.labelsRead, labelSets: this.labelSets };
    await this.scrape(signal, (body) => parsePromStream(body, options, (s) => (current(), this.series.add(s))));
    const points = await this.series.pointsInTurns(Date.now());
    current();
    this.options.logger?.debug({ source: this.id, points: points.length, labelSets: this.labelSets.size }, 'dcgm scrape');
    return points;
  }

  async close(): Promise<void> {
    // Nothing held open: node:http's global agent owns the sockets.
  }

  private async scrape(signal: AbortSignal, read: (body: AsyncIterable<Uint8Array>) => Promise<void>): Promise<void> {
    const { url } = this.options;
    try {
      await streamGet(url, { accept: 'text/plain' }, this.timeoutMs, signal, async (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          throw new Error(`HTTP ${res.statusCode ?? '?'}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
        }
        await read(res);
      });
    } catch (err) {
      const parse = err instanceof Error && err.cause instanceof PromTextError ? err.cause : undefined;
      const why = parse ? `cannot parse the response: ${parse.message}` : errorMessage(err);
      throw new Error(`dcgm-exporter ${url}: ${why}`, { cause: err });
    }
  }
}
