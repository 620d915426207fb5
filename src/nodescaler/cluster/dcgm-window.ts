import type { MetricStore } from '../../store/index.js';
import type { Logger } from '../../util/log.js';

/**
 * Per-node GPU utilisation for the snapshot (research/node-scaler.md §4.1 DCGM): the mean over
 * W_u of the node's duty-cycle samples, idle GPUs included (the DCGM source's node value is the
 * mean over all of the node's GPUs).
 *
 * Unknown is never 0 (DESIGN.md, "never fabricate a metric"): a node without samples, or whose
 * newest sample is older than maxAgeSeconds, reads as undefined, and decide() never scales a
 * node down on unknown data. An unhealthy source therefore makes its nodes unknown: the store
 * refuses the read while any DCGM source is failing or stale, nothing is recorded, and once the
 * last good sample passes maxAgeSeconds the nodes read undefined.
 */

export interface DcgmSample {
  /** Busy fraction 0–1. */
  value: number;
  /** Sample time, epoch ms. */
  at: number;
}

export interface DcgmWindowOptions {
  /** W_u: how far back the mean reaches. */
  windowSeconds: number;
  /** A node whose newest sample is older reads as unknown. */
  maxAgeSeconds: number;
}

export class DcgmWindow {
  /** Per node, samples oldest first, one per sample time. */
  private readonly samples = new Map<string, DcgmSample[]>();

  constructor(private readonly opts: DcgmWindowOptions) {}

  /** Adds this round's samples and forgets those that left the window (and nodes left without any). */
  record(now: number, samples: ReadonlyMap<string, DcgmSample>): void {
    for (const [node, s] of samples) {
      if (!Number.isFinite(s.value) || !Number.isFinite(s.at)) continue;
      const list = this.samples.get(node);
      if (!list) this.samples.set(node, [{ value: s.value, at: s.at }]);
      else insert(list, s);
    }
    const oldest = now - this.opts.windowSeconds * 1000;
    for (const [node, list] of this.samples) {
      const keep = list.findIndex((s) => s.at >= oldest);
      if (keep < 0) this.samples.delete(node);
      else if (keep > 0) list.splice(0, keep);
    }
  }

  /** Mean busy fraction over the window and the newest sample's age; undefined = unknown. */
  read(node: string, now: number): { util: number; ageSeconds: number } | undefined {
    const list = this.samples.get(node);
    const newest = list?.[list.length - 1];
    if (!list || !newest) return undefined;
    const ageSeconds = Math.max(0, (now - newest.at) / 1000);
    if (ageSeconds > this.opts.maxAgeSeconds) return undefined;
    const oldest = now - this.opts.windowSeconds * 1000;
    let sum = 0;
    let n = 0;
    for (const s of list) {
      if (s.at < oldest) continue;
      sum += s.value;
      n++;
    }
    return n === 0 ? undefined : { util: sum / n, ageSeconds };
  }
}

/**
 * Keeps the list ordered by time with one sample per time: several sources (one per exporter
 * URL) and repeated reads of an unchanged store report the same sample more than once, and it
 * must not weigh more in the mean.
 */
function insert(list: DcgmSample[], s: DcgmSample): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as DcgmSample).at > s.at) i--;
  if (i > 0 && (list[i - 1] as DcgmSample).at === s.at) return;
  list.splice(i, 0, { value: s.value, at: s.at });
}

const DUTY_CYCLE = 'nvidia_gpu_duty_cycle';
const ANY_SERIES = { matches: () => true };

/**
 * Every node's fresh `nvidia_gpu_duty_cycle` from the store (percent → fraction), timestamped
 * with its oldest GPU's sample. Empty when the store refuses the read (no source, or a source
 * failing or stale): those nodes become unknown, never 0.
 */
export function dcgmNodeSamples(store: MetricStore): Map<string, DcgmSample> {
  const out = new Map<string, DcgmSample>();
  const names = store.knownObjects(DUTY_CYCLE, 'nodes', undefined);
  if (!names.ok) return out;
  const values = store.objectValues(DUTY_CYCLE, 'nodes', undefined, names.value, ANY_SERIES);
  if (!values.ok) return out;
  for (const v of values.value) out.set(v.name, { value: v.value / 100, at: v.timestampMs });
  return out;
}

export interface DcgmNodeFeedOptions {
  /** dcgm-exporter /metrics URLs (`--dcgm-url`). */
  urls: readonly string[];
  window: DcgmWindow;
  log: Logger;
  /** Default 10 s (one scrape of dcgm-exporter's default interval). */
  intervalSeconds?: number;
  timeoutSeconds?: number;
  /** Clock for recording; default Date.now. */
  now?: () => number;
}

export interface DcgmNodeFeed {
  readonly store: MetricStore;
  /** Starts every poller; resolves after each has polled once (successfully or not). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A MetricStore fed by one DCGM source per URL, built exactly as `serve` builds them
 * (buildCatalog + buildSources), recording every node's value into `window` after each poll.
 * The serve modules are loaded here, not at the top, so the window stays cheap to import.
 */
export async function createDcgmNodeFeed(opts: DcgmNodeFeedOptions): Promise<DcgmNodeFeed> {
  const [{ parseConfig }, { buildCatalog }, { buildSources }, { MetricStore, Poller }] = await Promise.all([
    import('../../config/index.js'),
    import('../../serve/catalog.js'),
    import('../../serve/sources.js'),
    import('../../store/index.js'),
  ]);
  const dcgm: Record<string, unknown> = { urls: [...opts.urls] };
  if (opts.intervalSeconds !== undefined) dcgm.intervalSeconds = opts.intervalSeconds;
  if (opts.timeoutSeconds !== undefined) dcgm.timeoutSeconds = opts.timeoutSeconds;
  const config = parseConfig({ dcgm }, 'node-scaler --dcgm-url');
  const store = new MetricStore(buildCatalog(config));
  const now = opts.now ?? Date.now;
  const observer = { pollDone: () => opts.window.record(now(), dcgmNodeSamples(store)) };
  const log = opts.log.child({ component: 'dcgm' });
  const pollers = buildSources(config, log, store).map((p) => new Poller(p.source, store, p.poll, log, observer));
  return {
    store,
    start: async () => {
      await Promise.all(pollers.map((p) => p.start()));
    },
    stop: async () => {
      await Promise.all(pollers.map((p) => p.stop()));
    },
  };
}
