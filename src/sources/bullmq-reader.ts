/**
 * Redis I/O of the BullMQ source: queue discovery by SCAN and the per-queue reads.
 * Read-only commands only (SCAN, LLEN, ZCARD, LINDEX, HGET, EXISTS), so it works on replicas
 * and with a read-only ACL user.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import type { Redis } from 'ioredis';
import type { RawQueueReads } from './bullmq-counts.js';
import type { RedisConnection } from './bullmq-connection.js';
import { metaKeyParser, metaPattern, parseReplies, readPlan, sharesHashSlot, type ReadCommand } from './bullmq-keys.js';

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

/**
 * Queues per batch on a standalone server: one round-trip. Sending a batch and handling its
 * replies runs without a break (~1 ms for 10 queues); 50 queues made ~10 ms steps that
 * API requests arriving meanwhile waited behind.
 */
const BATCH = 10;
/**
 * Batches in flight at once. Two hide the round-trips; all 100 of a 1 000-queue poll at once
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
    // Replies resolve as microtasks, which never let I/O in: yield so requests run between waves.
    await nextTurn();
  }
  return out;
}

async function readGroup(conn: RedisConnection, refs: readonly QueueRef[], signal: AbortSignal): Promise<QueueRead[]> {
  const commands: ReadCommand[] = [];
  for (const ref of refs) commands.push(...planOf(ref));
  const replies = await sendPlans(conn, refs, commands, signal);
  if (replies.length !== commands.length) throw new Error(`expected ${commands.length} replies, got ${replies.length}`);
  const timestampMs = Date.now();
  const perQueue = commands.length / Math.max(1, refs.length);
  return refs.map((ref, i) => ({ ref, raw: parseReplies(replies, i * perQueue), timestampMs }));
}

/**
 * A queue's commands, built once per QueueRef: refs live from one discovery to the next, and
 * 12 fresh arrays and key strings per queue per poll were a good part of a poll's garbage.
 */
const plans = new WeakMap<QueueRef, readonly ReadCommand[]>();

function planOf(ref: QueueRef): readonly ReadCommand[] {
  let plan = plans.get(ref);
  if (plan === undefined) plans.set(ref, (plan = readPlan(ref.prefix, ref.name)));
  return plan;
}

/**
 * On a single server: the commands one by one, all in flight at once on the one connection.
 * Node writes them back to back, so the wire sees one batch as with a pipeline, but ioredis'
 * Pipeline made every command of a poll survive into the old generation (~9 MB promoted per
 * 1 000-queue poll, and the scavenges that copy it held API requests back), while single
 * commands die young (~0.1 MB). On a Cluster, a queue whose keys share a hash tag is one
 * pipeline to the node owning its slot; one whose keys do not is sent command by command.
 */
function sendPlans(
  conn: RedisConnection,
  refs: readonly QueueRef[],
  commands: readonly ReadCommand[],
  signal: AbortSignal,
): Promise<unknown[]> {
  const ref = refs[0];
  const pipelined = conn.client instanceof Cluster && ref !== undefined && sharesHashSlot(ref.prefix, ref.name);
  return pipelined ? conn.pipeline(commands, signal) : conn.each(commands, signal);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
