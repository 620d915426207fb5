/**
 * BullMQ key names and the read plan for one queue (pure). Keys are
 * `<prefix>:<queue>:<suffix>`, built with exactly the configured strings, braces included,
 * so hash-tagged prefixes (`{bull}`) and queue names (`{stt-queue}`) hit the right slot.
 */
import type { RawQueueReads } from './bullmq-counts.js';

/** One read-only command: name and arguments. */
export type ReadCommand = readonly [command: string, ...args: (string | number)[]];

export function queueKey(prefix: string, queue: string, suffix: string): string {
  return `${prefix}:${queue}:${suffix}`;
}

/**
 * The commands that read one queue, in the order `parseReplies` expects. Only O(1) reads:
 * never a script (BullMQ's getCounts RPOPs legacy markers, so it is not replica-safe).
 */
export function readPlan(prefix: string, queue: string): ReadCommand[] {
  const k = (suffix: string) => queueKey(prefix, queue, suffix);
  return [
    ['llen', k('wait')],
    ['llen', k('paused')],
    ['llen', k('active')],
    ['zcard', k('prioritized')],
    ['zcard', k('delayed')],
    ['zcard', k('waiting-children')],
    ['zcard', k('completed')],
    ['zcard', k('failed')],
    ['lindex', k('wait'), -1],
    ['lindex', k('paused'), -1],
    ['hget', k('meta'), 'paused'],
    ['exists', k('meta')],
  ];
}

/**
 * Replies of `readPlan`'s commands, in order, starting at `from` (one pipeline carries the
 * replies of many queues); throws on anything Redis should not answer.
 */
export function parseReplies(replies: readonly unknown[], from = 0): RawQueueReads {
  if (replies.length < from + 12) throw new Error(`expected 12 replies, got ${replies.length - from}`);
  const n = (i: number) => count(replies[from + i]);
  const s = (i: number) => nullableString(replies[from + i]);
  return {
    waitLen: n(0),
    pausedLen: n(1),
    activeLen: n(2),
    prioritized: n(3),
    delayed: n(4),
    waitingChildren: n(5),
    completed: n(6),
    failed: n(7),
    waitTail: s(8),
    pausedTail: s(9),
    metaPaused: s(10),
    metaExists: n(11) > 0,
  };
}

function count(v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new Error(`unexpected reply ${JSON.stringify(v)} where a count was expected`);
}

function nullableString(v: unknown): string | null {
  if (v === null || typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  throw new Error(`unexpected reply ${JSON.stringify(v)} where a string was expected`);
}

/**
 * The Redis Cluster hash tag of a key: the text between the first `{` and the next `}`,
 * when that is non-empty (Redis' own rule); otherwise the whole key is hashed.
 */
export function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}

/**
 * True when every key of the queue hashes to one slot, i.e. the hash tag lies inside the
 * common `<prefix>:<queue>:` part. Only then may its reads share a pipeline on a Cluster.
 */
export function sharesHashSlot(prefix: string, queue: string): boolean {
  // Suffixes contain no braces, so a tag found in the common part is every key's tag.
  return hashTag(queueKey(prefix, queue, '')) !== undefined;
}

/** Escapes Redis glob metacharacters so a prefix matches literally in SCAN MATCH. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** SCAN MATCH pattern for the meta hashes of every queue under `prefix`. */
export function metaPattern(prefix: string): string {
  return `${escapeGlob(prefix)}:*:meta`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Returns a function that extracts the queue name from a `<prefix>:<queue>:meta` key, or
 * undefined for other keys. Queue names cannot contain `:` (BullMQ enforces it); prefixes may.
 */
export function metaKeyParser(prefix: string): (key: string) => string | undefined {
  const re = new RegExp(`^${escapeRegExp(prefix)}:([^:]+):meta$`);
  return (key) => re.exec(key)?.[1];
}
