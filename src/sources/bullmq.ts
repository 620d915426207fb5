/**
 * BullMQ queue depth source: one Redis endpoint (server or Cluster), every queue under the
 * configured prefixes, served as the external metric `redis_queue_depth`
 * {queue_name, queue_type, prefix}. See bullmq-counts.ts for how states are counted.
 */
import type { MetricPoint, Target } from '../store/types.js';
import type { Labels } from '../util/labels.js';
import type { Logger } from '../util/log.js';
import type { Source } from './types.js';
import { QUEUE_TYPES, computeCounts, queueExists } from './bullmq-counts.js';
import { RedisConnection } from './bullmq-connection.js';
import { parseEndpoint } from './bullmq-endpoint.js';
import type { RedisEndpoint } from './bullmq-endpoint.js';
import { discoverQueues, readQueues } from './bullmq-reader.js';
import type { QueueRead, QueueRef } from './bullmq-reader.js';

export const REDIS_QUEUE_DEPTH = 'redis_queue_depth';

export interface BullmqSourceOptions {
  /** `redis://`, `rediss://`, `redis-cluster://` or `rediss-cluster://` (see bullmq-endpoint.ts). */
  readonly url: string;
  /** BullMQ key prefixes, braces included (`{bull}`); default `['bull']`. */
  readonly prefixes?: readonly string[];
  /** Queues read under every prefix on every poll, also before (or without) discovery. */
  readonly queues?: readonly string[];
  /** Find queues by SCAN; default true. False reads only `queues`. */
  readonly discover?: boolean;
  /** Minimum time between two discovery SCANs; default 60000. */
  readonly discoveryIntervalMs?: number;
  /** Force Cluster (true) or single-server (false) mode; default: from the URL. */
  readonly cluster?: boolean;
  /** Bound on (re)connecting at the start of a poll; default 2000. */
  readonly connectTimeoutMs?: number;
  /** Bound on each command round-trip (a pipeline, a SCAN step); default 1000. */
  readonly commandTimeoutMs?: number;
  readonly logger?: Logger;
}

export const BULLMQ_DEFAULTS = {
  prefixes: ['bull'],
  discover: true,
  discoveryIntervalMs: 60_000,
  connectTimeoutMs: 2_000,
  commandTimeoutMs: 1_000,
} as const;

const EXTERNAL: Target = { kind: 'external' };

export class BullmqSource implements Source {
  readonly id: string;
  readonly metrics: readonly string[] = [REDIS_QUEUE_DEPTH];
  readonly endpoint: RedisEndpoint;
  private readonly conn: RedisConnection;
  readonly prefixes: readonly string[];
  private readonly explicit: readonly QueueRef[];
  private discovered: readonly QueueRef[] = [];
  /** `discovered` by refKey. */
  private byKey = new Map<string, QueueRef>();
  /** Queues someone waits on (KEDA push streams): read by every poll, discovered or not. */
  private readonly watched = new Map<string, QueueRef>();
  private lastDiscoveryMs: number | undefined;

  constructor(private readonly opts: BullmqSourceOptions) {
    this.endpoint = parseEndpoint(opts.url, opts.cluster);
    this.id = `bullmq:${this.endpoint.redacted}`;
    this.prefixes = unique(opts.prefixes?.length ? opts.prefixes : BULLMQ_DEFAULTS.prefixes);
    this.explicit = this.prefixes.flatMap((prefix) => (opts.queues ?? []).map((name) => queueRef(prefix, name)));
    this.conn = new RedisConnection(this.endpoint, {
      connectTimeoutMs: opts.connectTimeoutMs ?? BULLMQ_DEFAULTS.connectTimeoutMs,
      commandTimeoutMs: opts.commandTimeoutMs ?? BULLMQ_DEFAULTS.commandTimeoutMs,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  }

  async poll(signal: AbortSignal): Promise<MetricPoint[]> {
    try {
      await this.conn.ready(signal);
      await this.discoverIfDue(signal);
      const reads = await readQueues(this.conn, this.queueRefs(), signal);
      return reads.filter((r) => queueExists(r.raw)).flatMap(queuePoints);
    } catch (err) {
      // A Redis that failed may come back empty or different: look again once it answers.
      this.lastDiscoveryMs = undefined;
      if (signal.aborted && err === signal.reason) throw err;
      throw this.conn.describe(err);
    }
  }

  /** Reads one queue now, for a caller that cannot wait for the next poll; [] when it does not exist. */
  async readQueue(prefix: string, name: string, signal: AbortSignal): Promise<MetricPoint[]> {
    try {
      await this.conn.ready(signal);
      const [read] = await readQueues(this.conn, [queueRef(prefix, name)], signal);
      return read && queueExists(read.raw) ? queuePoints(read) : [];
    } catch (err) {
      if (signal.aborted && err === signal.reason) throw err;
      throw this.conn.describe(err);
    }
  }

  /** Keeps `prefix:name` in every poll until unwatchQueue, so a new queue never waits for discovery. */
  watchQueue(prefix: string, name: string): void {
    this.watched.set(refKey(prefix, name), queueRef(prefix, name));
  }

  unwatchQueue(prefix: string, name: string): void {
    this.watched.delete(refKey(prefix, name));
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  private async discoverIfDue(signal: AbortSignal): Promise<void> {
    if (!(this.opts.discover ?? BULLMQ_DEFAULTS.discover)) return;
    const interval = this.opts.discoveryIntervalMs ?? BULLMQ_DEFAULTS.discoveryIntervalMs;
    const now = Date.now();
    if (this.lastDiscoveryMs !== undefined && now - this.lastDiscoveryMs < interval) return;
    const found = new Map<string, QueueRef>();
    // One prefix after another keeps SCAN load on the server to one cursor per master.
    for (const prefix of this.prefixes) {
      for (const name of await discoverQueues(this.conn, prefix, signal)) {
        const key = refKey(prefix, name);
        // The same object for a queue found again: what is built per QueueRef (read plan, labels) is kept.
        found.set(key, this.byKey.get(key) ?? { prefix, name });
      }
    }
    this.byKey = found;
    this.discovered = [...found.values()];
    this.lastDiscoveryMs = now;
    this.opts.logger?.debug({ source: this.id, queues: found.size }, 'bullmq queues discovered');
  }

  /** Explicit queues first, then discovered and watched ones not already listed. */
  private queueRefs(): QueueRef[] {
    const seen = new Set<string>();
    return [...this.explicit, ...this.discovered, ...this.watched.values()].filter((ref) => {
      const key = refKey(ref.prefix, ref.name);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
}

function queuePoints({ ref, raw, timestampMs }: QueueRead): MetricPoint[] {
  const { counts } = computeCounts(raw);
  const labels = labelsOf(ref);
  return QUEUE_TYPES.map((queueType, i) => ({ metric: REDIS_QUEUE_DEPTH, target: EXTERNAL, labels: labels[i] as Labels, value: counts[queueType], timestampMs }));
}

/**
 * The label sets of a queue's series (QUEUE_TYPES order), built once per QueueRef: refs live
 * from one discovery to the next, so a poll allocates its points and nothing that outlives them.
 */
const queueLabels = new WeakMap<QueueRef, readonly Labels[]>();

function labelsOf(ref: QueueRef): readonly Labels[] {
  let labels = queueLabels.get(ref);
  if (labels === undefined) {
    labels = QUEUE_TYPES.map((queueType) => ({ queue_name: ref.name, queue_type: queueType, prefix: ref.prefix }));
    queueLabels.set(ref, labels);
  }
  return labels;
}

function queueRef(prefix: string, name: string): QueueRef {
  // BullMQ refuses such names; a key built from one could never be a queue's.
  if (name === '' || name.includes(':')) throw new Error(`invalid BullMQ queue name ${JSON.stringify(name)}`);
  return { prefix, name };
}

function refKey(prefix: string, name: string): string {
  return `${prefix}\u0000${name}`;
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
