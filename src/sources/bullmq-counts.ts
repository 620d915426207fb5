/**
 * BullMQ per-queue state arithmetic (pure). Turns the raw LLEN/ZCARD/LINDEX/HGET reads of
 * one queue into the `queue_type` counts the adapter serves as `redis_queue_depth`.
 *
 * Paused queues, v5 vs v6 (research/metric-sources.md §3.3):
 * - v5 pause RENAMEs `wait` → `paused` and adds new jobs to `paused`; v6 leaves the jobs in
 *   `wait` and only sets `meta.paused`. Either way the jobs are not runnable, so:
 *   - queue paused (meta.paused present): `waiting` = 0, `paused` = wait + paused lists;
 *   - queue running: `waiting` = wait list, `paused` = paused list (normally 0; non-zero only
 *     for v6 leftovers of a legacy list that a resume has not merged back yet).
 * - Prioritized jobs stay in `prioritized` whether paused or not (BullMQ keeps them there).
 * So `waiting`/`paused` are the same for v5 and v6 and `total` never depends on the layout.
 */

/** Every `queue_type` value, in the order points are emitted. */
export const QUEUE_TYPES = [
  'waiting',
  'paused',
  'prioritized',
  'delayed',
  'active',
  'waiting-children',
  'failed',
  'completed',
  'total',
] as const;

export type QueueType = (typeof QUEUE_TYPES)[number];

/** What one read pass returns for one queue (see bullmq-keys.ts for the commands). */
export interface RawQueueReads {
  readonly waitLen: number;
  readonly pausedLen: number;
  readonly activeLen: number;
  readonly prioritized: number;
  readonly delayed: number;
  readonly waitingChildren: number;
  readonly completed: number;
  readonly failed: number;
  /** LINDEX wait -1: the tail element, where pre-v5 producers left a `0:` marker. */
  readonly waitTail: string | null;
  /** LINDEX paused -1. */
  readonly pausedTail: string | null;
  /** HGET meta paused. */
  readonly metaPaused: string | null;
  /** EXISTS meta. */
  readonly metaExists: boolean;
}

export interface QueueCounts {
  readonly counts: Readonly<Record<QueueType, number>>;
  /** BullMQ tests `HEXISTS meta paused`, so any value means paused. */
  readonly isPaused: boolean;
}

/** LLEN minus a legacy `0:` marker at the tail, which BullMQ's own count ignores too. */
export function listJobs(len: number, tail: string | null): number {
  const marker = tail !== null && tail.startsWith('0:') ? 1 : 0;
  return Math.max(0, len - marker);
}

export function computeCounts(raw: RawQueueReads): QueueCounts {
  const isPaused = raw.metaPaused !== null;
  const wait = listJobs(raw.waitLen, raw.waitTail);
  const pausedList = listJobs(raw.pausedLen, raw.pausedTail);
  const waiting = isPaused ? 0 : wait;
  const paused = isPaused ? wait + pausedList : pausedList;
  const prioritized = raw.prioritized;
  const active = raw.activeLen;
  return {
    isPaused,
    counts: {
      waiting,
      paused,
      prioritized,
      delayed: raw.delayed,
      active,
      'waiting-children': raw.waitingChildren,
      failed: raw.failed,
      completed: raw.completed,
      // DESIGN.md: work that needs or holds a worker now; delayed jobs are not runnable yet.
      total: waiting + paused + prioritized + active,
    },
  };
}

/**
 * Whether the queue still exists: its meta hash or any job key. A queue that was obliterated
 * (or never created) has none, and drops out instead of reporting a fabricated 0.
 */
export function queueExists(raw: RawQueueReads): boolean {
  if (raw.metaExists) return true;
  const sizes = [
    raw.waitLen, raw.pausedLen, raw.activeLen, raw.prioritized,
    raw.delayed, raw.waitingChildren, raw.completed, raw.failed,
  ];
  return sizes.some((n) => n > 0);
}
