/**
 * Redis I/O of the BullMQ source: queue discovery by SCAN and the per-queue reads.
 * Read-only commands only (SCAN, LLEN, ZCARD, LINDEX, HGET, EXISTS), so it works on replicas
 * and with a read-only ACL user.
 */
import { Cluster } from 'ioredis';
import type { Redis } from 'ioredis';
import type { RawQueueReads } from './bullmq-counts.js';
import type { RedisConnection } from './bullmq-connection.js';
import { metaKeyParser, metaPattern, parseReplies, readPlan, sharesHashSlot } from './bullmq-keys.js';

export interface QueueRef {
  readonly prefix: string;
  readonly name: string;
}

export interface QueueRead {
  readonly ref: QueueRef;
  readonly raw: RawQueueReads;
  /** When the replies arrived, epoch ms. */
  readonly timestampMs: number;
}

/** Queues per pipeline on a standalone server: one round-trip, bounded reply size. */
const BATCH = 50;
/**
 * Pipelines in flight at once. Two hide the round-trips; all 20 of a 1 000-queue poll at once
 * would land 12 000 replies in one burst that holds API requests back, and add an abort
 * listener each to the poll's signal (Node warns past 10).
 */
const IN_FLIGHT = 2;
const SCAN_COUNT = 1000;

/** Queue names under `prefix`, from `<prefix>:*:meta` hashes on every master (sorted, unique). */
export async function discoverQueues(conn: RedisConnection, prefix: string, signal: AbortSignal): Promise<string[]> {
  const parse = metaKeyParser(prefix);
  const perNode = await Promise.all(conn.masters().map((node) => scanNode(conn, node, prefix, signal)));
  const names = new Set<string>();
  for (const key of perNode.flat()) {
    const name = parse(key);
    if (name !== undefined) names.add(name);
  }
  return [...names].sort();
}

async function scanNode(
  conn: RedisConnection,
  node: Redis,
  prefix: string,
  signal: AbortSignal,
): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const cmd = ['scan', cursor, 'MATCH', metaPattern(prefix), 'COUNT', SCAN_COUNT, 'TYPE', 'hash'] as const;
    const [next, batch] = parseScanReply(await conn.command(node, cmd, signal));
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

function parseScanReply(reply: unknown): [string, string[]] {
  const [cursor, keys] = Array.isArray(reply) ? (reply as unknown[]) : [];
  if (typeof cursor !== 'string' || !Array.isArray(keys)) {
    throw new Error(`unexpected SCAN reply ${JSON.stringify(reply)}`);
  }
  return [cursor, keys.map(String)];
}

/** Reads every queue; rejects on the first Redis error. */
export async function readQueues(conn: RedisConnection, refs: readonly QueueRef[], signal: AbortSignal): Promise<QueueRead[]> {
  if (refs.length === 0) {
    // Nothing to read, but an empty success must still mean "Redis answered just now".
    await conn.command(conn.client, ['dbsize'], signal);
    return [];
  }
  const groups = conn.client instanceof Cluster ? refs.map((ref) => [ref]) : chunk(refs, BATCH);
  const out: QueueRead[] = [];
  for (const wave of chunk(groups, IN_FLIGHT)) {
    for (const reads of await Promise.all(wave.map((group) => readGroup(conn, group, signal)))) out.push(...reads);
  }
  return out;
}

async function readGroup(conn: RedisConnection, refs: readonly QueueRef[], signal: AbortSignal): Promise<QueueRead[]> {
  const plans = refs.map((ref) => readPlan(ref.prefix, ref.name));
  const replies = await sendPlans(conn, refs, plans.flat(), signal);
  const timestampMs = Date.now();
  const perQueue = plans[0]?.length ?? 0;
  return refs.map((ref, i) => ({
    ref,
    raw: parseReplies(replies.slice(i * perQueue, (i + 1) * perQueue)),
    timestampMs,
  }));
}

/**
 * One pipeline, except on a Cluster for a queue whose keys do not share a hash tag: those
 * keys live in different slots, so each command goes on its own to the node owning its key.
 */
function sendPlans(
  conn: RedisConnection,
  refs: readonly QueueRef[],
  commands: ReturnType<typeof readPlan>,
  signal: AbortSignal,
): Promise<unknown[]> {
  const ref = refs[0];
  const split = conn.client instanceof Cluster && ref !== undefined && !sharesHashSlot(ref.prefix, ref.name);
  return split ? conn.each(commands, signal) : conn.pipeline(commands, signal);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
