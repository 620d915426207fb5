import { ApiException, CoreV1Api, PatchStrategy, setHeaderOptions, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { NodeScalerConfig } from '../config.js';
import type { PlanEvent } from '../types.js';
import { errorMessage } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/log.js';
import type { EventSink } from './contracts.js';

/**
 * Kubernetes Events for the node-scaler's decisions, written as core/v1 Events (what `kubectl
 * describe` and `kubectl get events` show), the way client-go's EventRecorder does:
 *
 * - the same (object, type, reason, message) seen again within `aggregateWindowMs` of its last
 *   occurrence patches `count` and `lastTimestamp` of the existing Event instead of creating a
 *   new one (client-go's EventCorrelator dedup, simplified);
 * - at most `maxWritesPerTick` writes per tick, so a plan with thousands of pending pods cannot
 *   flood the apiserver; what is over the budget is counted as dropped (a repeat's occurrence
 *   still lands in the count of its next successful patch);
 * - a failed write is logged and counted, never thrown: events explain decisions, they must not
 *   fail a tick.
 *
 * A tick starts with startTick(); without it the budget refills every `tickWindowMs`.
 */

export const EVENT_COMPONENT = 'ai-metrics-adapter-node-scaler';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Absent for cluster-scoped objects (their Events go to `default`, as client-go does). */
  namespace?: string;
  uid?: string;
}

/**
 * Maps a plan event's subject to the object the Event is about; undefined = skip the event.
 * Pool events need one (the pool's actuator object); pods and nodes fall back to a plain reference.
 */
export type InvolvedResolver = (involved: PlanEvent['involved']) => ObjectRef | undefined | Promise<ObjectRef | undefined>;

export interface KubeEventRecorderOptions {
  kubeConfig: KubeConfig;
  /** reportingInstance: the pod name (leader identity). */
  instance: string;
  resolve?: InvolvedResolver;
  /** Creates plus patches per tick (default 100). */
  maxWritesPerTick?: number;
  /** Budget refill period when startTick() is not called (default 10 s). */
  tickWindowMs?: number;
  /** Repeats within this long of the last occurrence are aggregated (default 10 min). */
  aggregateWindowMs?: number;
  /** Aggregation entries kept, least recently used dropped first (default 4096, as client-go). */
  cacheSize?: number;
  log?: Logger;
  now?: () => number;
}

export interface EventWriteStats {
  created: number;
  patched: number;
  /** Over the per-tick budget. */
  dropped: number;
  /** Rejected by the apiserver or unreachable. */
  failed: number;
  /** No object to attach the event to. */
  skipped: number;
}

interface Aggregate {
  namespace: string;
  name: string;
  /** Occurrences so far, including ones not yet written. */
  count: number;
  /** The count the apiserver has. */
  written: number;
  lastSeen: number;
  /** Serialises writes for one key (a create must finish before its first patch). */
  chain: Promise<void>;
}

const MESSAGE_LIMIT = 1024;
const NAME_PREFIX_LIMIT = 200;

export class KubeEventRecorder implements EventSink {
  private readonly api: CoreV1Api;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly maxWrites: number;
  private readonly tickWindowMs: number;
  private readonly aggregateWindowMs: number;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, Aggregate>();
  private tickStartedAt: number;
  private writes = 0;
  private current: EventWriteStats = zeroStats();
  private seq = 0;

  constructor(private readonly opts: KubeEventRecorderOptions) {
    this.api = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.log = (opts.log ?? silentLogger).child({ component: 'event-recorder' });
    this.clock = opts.now ?? Date.now;
    this.maxWrites = opts.maxWritesPerTick ?? 100;
    this.tickWindowMs = opts.tickWindowMs ?? 10_000;
    this.aggregateWindowMs = opts.aggregateWindowMs ?? 600_000;
    this.cacheSize = opts.cacheSize ?? 4096;
    this.tickStartedAt = this.clock();
  }

  /** Starts a tick: refills the write budget; returns the counts of the tick that ended. */
  startTick(): EventWriteStats {
    const ended = this.current;
    if (ended.dropped > 0) this.log.warn({ dropped: ended.dropped, budget: this.maxWrites }, 'events over the per-tick budget were dropped');
    this.current = zeroStats();
    this.writes = 0;
    this.tickStartedAt = this.clock();
    return ended;
  }

  /** Counts of the current tick so far. */
  stats(): EventWriteStats {
    return { ...this.current };
  }

  async emit(event: PlanEvent): Promise<void> {
    const ref = await this.involvedObject(event);
    if (!ref) {
      this.current.skipped++;
      this.log.debug({ involved: event.involved, reason: event.reason }, 'no object to attach the event to; skipped');
      return;
    }
    const message = event.message.length > MESSAGE_LIMIT ? `${event.message.slice(0, MESSAGE_LIMIT - 1)}…` : event.message;
    const key = [ref.apiVersion, ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? '', event.type, event.reason, message].join('\u0000');
    const now = this.clock();
    const prev = this.cache.get(key);
    if (prev && now - prev.lastSeen <= this.aggregateWindowMs) {
      prev.count++;
      prev.lastSeen = now;
      this.touch(key, prev);
      prev.chain = prev.chain.then(() => this.patch(prev, ref, event, message));
      return prev.chain;
    }
    if (!this.takeBudget()) return;
    const agg: Aggregate = { namespace: ref.namespace ?? 'default', name: eventName(ref.name, now, this.seq++), count: 1, written: 0, lastSeen: now, chain: Promise.resolve() };
    this.touch(key, agg);
    agg.chain = this.create(agg, ref, event, message, now);
    return agg.chain;
  }

  private async involvedObject(event: PlanEvent): Promise<ObjectRef | undefined> {
    const { involved } = event;
    if (this.opts.resolve) {
      try {
        const ref = await this.opts.resolve(involved);
        if (ref) return ref;
      } catch (err) {
        this.log.debug({ involved, err: errorMessage(err) }, 'involved object lookup failed');
      }
    }
    if (involved.kind === 'Pool') return undefined;
    return { apiVersion: 'v1', kind: involved.kind, name: involved.name, namespace: involved.kind === 'Pod' ? involved.namespace : undefined };
  }

  private async create(agg: Aggregate, ref: ObjectRef, event: PlanEvent, message: string, now: number): Promise<void> {
    const at = new Date(now);
    const body: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: agg.name, namespace: agg.namespace },
      involvedObject: { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, namespace: ref.namespace, uid: ref.uid },
      type: event.type,
      reason: event.reason,
      message,
      source: { component: EVENT_COMPONENT },
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: this.opts.instance,
      firstTimestamp: at,
      lastTimestamp: at,
      count: agg.count,
    };
    try {
      await this.api.createNamespacedEvent({ namespace: agg.namespace, body });
      agg.written = body.count ?? 1;
      this.current.created++;
    } catch (err) {
      this.current.failed++;
      this.log.warn({ involved: event.involved, reason: event.reason, err: describe(err) }, 'event not written');
      this.forget(agg);
    }
  }

  /** Writes the latest count; queued repeats already covered by an earlier patch write nothing. */
  private async patch(agg: Aggregate, ref: ObjectRef, event: PlanEvent, message: string): Promise<void> {
    if (agg.written >= agg.count) return;
    // Over budget: the occurrence stays in agg.count and lands with the next patch.
    if (!this.takeBudget()) return;
    const count = agg.count;
    try {
      await this.api.patchNamespacedEvent(
        { name: agg.name, namespace: agg.namespace, body: { count, lastTimestamp: rfc3339(agg.lastSeen) } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      agg.written = Math.max(agg.written, count);
      this.current.patched++;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) {
        // The Event expired (event TTL) or was deleted: start a new one.
        agg.name = eventName(ref.name, agg.lastSeen, this.seq++);
        agg.count = 1;
        agg.written = 0;
        return this.create(agg, ref, event, message, agg.lastSeen);
      }
      this.current.failed++;
      this.log.warn({ involved: event.involved, reason: event.reason, err: describe(err) }, 'event count not updated');
    }
  }

  private takeBudget(): boolean {
    if (this.clock() - this.tickStartedAt >= this.tickWindowMs) {
      this.writes = 0;
      this.tickStartedAt = this.clock();
    }
    if (this.writes >= this.maxWrites) {
      this.current.dropped++;
      return false;
    }
    this.writes++;
    return true;
  }

  /** Map order is insertion order: re-inserting keeps the most recently used last. */
  private touch(key: string, agg: Aggregate): void {
    this.cache.delete(key);
    this.cache.set(key, agg);
    while (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }

  private forget(agg: Aggregate): void {
    for (const [key, value] of this.cache) if (value === agg) this.cache.delete(key);
  }
}

/**
 * The default resolver: pods and nodes by name (uid from `uidOf` when given, e.g. an informer
 * cache), pools as their actuator object (a Cluster API MachineDeployment/MachineSet/MachinePool,
 * or a Karpenter NodePool); pools without an object in the cluster are skipped.
 */
export function involvedResolver(config: NodeScalerConfig, uidOf?: (kind: 'Pod' | 'Node', name: string, namespace?: string) => string | undefined): InvolvedResolver {
  const pools = new Map(config.pools.map((p) => [p.name, p.actuator]));
  return (involved) => {
    if (involved.kind === 'Pool') {
      const actuator = pools.get(involved.name);
      if (actuator?.kind === 'clusterApi') return { apiVersion: actuator.apiVersion, kind: actuator.resource, namespace: actuator.namespace, name: actuator.name };
      if (actuator?.kind === 'karpenterNodePool') return { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', name: actuator.name };
      return undefined;
    }
    const namespace = involved.kind === 'Pod' ? involved.namespace : undefined;
    return { apiVersion: 'v1', kind: involved.kind, name: involved.name, namespace, uid: uidOf?.(involved.kind, involved.name, namespace) };
  };
}

/** client-go names Events `<object>.<hex nanoseconds>`; a sequence keeps same-millisecond names apart. */
function eventName(object: string, now: number, seq: number): string {
  const nanos = BigInt(now) * 1_000_000n + BigInt(seq % 1_000_000);
  return `${object.slice(0, NAME_PREFIX_LIMIT)}.${nanos.toString(16)}`;
}

/** metav1.Time is RFC 3339 with whole seconds. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function describe(err: unknown): string {
  if (err instanceof ApiException) {
    try {
      return `HTTP ${err.code}: ${(JSON.parse(String(err.body)) as { message?: string }).message ?? ''}`;
    } catch {
      return `HTTP ${err.code}`;
    }
  }
  return errorMessage(err);
}

function zeroStats(): EventWriteStats {
  return { created: 0, patched: 0, dropped: 0, failed: 0, skipped: 0 };
}
