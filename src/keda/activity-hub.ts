/**
 * StreamIsActive: the push half of `external-push` triggers.
 *
 * Streams with the same trigger (same value read, same activation threshold) share one
 * group, so hundreds of streams cost one evaluation per change. A group is evaluated
 * when a stream joins, whenever a queue it watches was re-read (BullMQ events), and on a
 * fallback timer. Each stream gets the current state when it opens and then only
 * changes of it. An unknown state (source down, stale, queue missing) sends nothing:
 * never a made-up `false`, and no repeated `true` that would keep KEDA from scaling in.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import type { IsActiveResponse, ScaledObjectRef } from './contract.js';
import type { QueueSignals } from './queue-signals.js';
import type { TriggerSpec } from './trigger-metadata.js';
import { readTriggerValue, type MetricsProvider } from './trigger-value.js';
import { isActive } from './wire-values.js';

export type ActivityCall = ServerWritableStream<ScaledObjectRef, IsActiveResponse>;

export interface PushObserver {
  pushed(result: boolean): void;
}

export interface ActivityHubOptions {
  readonly provider: MetricsProvider;
  readonly signals?: QueueSignals;
  readonly log: Logger;
  /** Every group is re-evaluated this often, ms (the fallback poll). Default 500. */
  readonly evaluateEveryMs?: number;
  readonly observer?: PushObserver;
}

interface Subscriber {
  readonly call: ActivityCall;
  /** What this stream was last told; undefined before the first message. */
  sent?: boolean;
}

interface Group {
  readonly key: string;
  readonly spec: TriggerSpec;
  readonly namespace: string;
  readonly subscribers: Set<Subscriber>;
  unwatch?: () => void;
  /** Last reason nothing could be pushed, so it is logged once per change. */
  problem?: string;
}

export class ActivityHub {
  private readonly groups = new Map<string, Group>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: ActivityHubOptions) {}

  /** Takes over an open StreamIsActive call for a parsed trigger. */
  subscribe(call: ActivityCall, spec: TriggerSpec, namespace: string): void {
    if (this.closed) {
      call.end();
      return;
    }
    const group = this.groupFor(spec, namespace);
    const sub: Subscriber = { call };
    group.subscribers.add(sub);
    const leave = () => this.leave(group, sub);
    call.once('cancelled', leave);
    call.once('close', leave);
    call.once('error', leave);
    this.evaluate(group);
  }

  /** Open streams. */
  get streams(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.subscribers.size;
    return n;
  }

  /** Distinct triggers being pushed. */
  get triggers(): number {
    return this.groups.size;
  }

  /** Re-evaluates every group now (the fallback timer does this periodically). */
  evaluateAll(): void {
    for (const g of this.groups.values()) this.evaluate(g);
  }

  /** Ends every stream with status OK (KEDA then reconnects after its shortest backoff). */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const g of [...this.groups.values()]) {
      for (const s of [...g.subscribers]) {
        this.leave(g, s);
        if (!s.call.cancelled && !s.call.writableEnded) s.call.end();
      }
    }
  }

  private groupFor(spec: TriggerSpec, namespace: string): Group {
    const key = JSON.stringify([spec.readKey, spec.activationThreshold]);
    const existing = this.groups.get(key);
    if (existing) return existing;
    const group: Group = { key, spec, namespace, subscribers: new Set() };
    this.groups.set(key, group);
    const queue = spec.read.api === 'external' ? spec.read.queue : undefined;
    if (queue && this.opts.signals) group.unwatch = this.opts.signals.watch(queue.name, queue.prefix, () => this.evaluate(group));
    this.timer ??= setInterval(() => this.evaluateAll(), this.opts.evaluateEveryMs ?? 500).unref();
    return group;
  }

  private leave(group: Group, sub: Subscriber): void {
    if (!group.subscribers.delete(sub)) return;
    if (group.subscribers.size > 0) return;
    this.groups.delete(group.key);
    group.unwatch?.();
    if (this.groups.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private evaluate(group: Group): void {
    let active: boolean;
    try {
      active = isActive(group.spec, readTriggerValue(this.opts.provider, group.spec.read, group.namespace)).result;
    } catch (err) {
      const problem = errorMessage(err);
      if (problem !== group.problem) {
        this.opts.log.info({ trigger: group.spec.metricName, err: problem }, 'push: trigger state unknown, nothing sent');
        group.problem = problem;
      }
      return;
    }
    group.problem = undefined;
    for (const s of group.subscribers) {
      if (s.sent === active || s.call.cancelled || s.call.writableEnded) continue;
      s.sent = active;
      s.call.write({ result: active });
      this.opts.observer?.pushed(active);
    }
  }
}
