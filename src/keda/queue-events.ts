/**
 * Wakes the push path when a watched BullMQ queue changes: one blocking XREAD on the
 * queues' `<prefix>:<queue>:events` streams (BullMQ appends to them in the same Lua script
 * that adds, moves or finishes a job). Read-only: XREAD and XREVRANGE only, no consumer
 * group, nothing written. One connection per Redis endpoint; single servers only (a
 * Cluster would need one blocking read per slot; there the fallback poll carries push).
 */
import { RedisConnection } from '../sources/bullmq-connection.js';
import type { RedisEndpoint } from '../sources/bullmq-endpoint.js';
import { queueKey } from '../sources/bullmq-keys.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';

export interface QueueEventsOptions {
  /** How long one XREAD blocks, ms (a key-set change interrupts it at once). Default 5000. */
  readonly blockMs?: number;
  /** Wait after a Redis error before reading again, ms. Default 1000. */
  readonly retryMs?: number;
}

interface Watched {
  readonly prefix: string;
  readonly name: string;
  /** Last stream entry seen; undefined until XREVRANGE fetched it. */
  lastId?: string;
  /** Resolves once `lastId` is known (or fetching it failed). */
  readonly started: Promise<void>;
  markStarted(): void;
}

/** Entries per stream per XREAD: enough to notice activity, bounded reply size. */
const COUNT = 100;

export class QueueEventReader {
  private readonly conn: RedisConnection;
  private readonly watched = new Map<string, Watched>();
  private readonly blockMs: number;
  private readonly retryMs: number;
  private stopped = false;
  private interrupted = false;
  private reading = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private stopSignal = new AbortController();

  constructor(
    endpoint: RedisEndpoint,
    /** Called (synchronously, once per XREAD reply) for every watched queue that had events. */
    private readonly onEvents: (prefix: string, name: string) => void,
    private readonly log: Logger,
    opts: QueueEventsOptions = {},
  ) {
    this.blockMs = opts.blockMs ?? 5_000;
    this.retryMs = opts.retryMs ?? 1_000;
    this.conn = new RedisConnection(endpoint, {
      connectTimeoutMs: 2_000,
      // A blocked XREAD legitimately takes blockMs.
      commandTimeoutMs: this.blockMs + 2_000,
      logger: log,
    });
  }

  /** Starts following `prefix:name`; resolves once events after this moment will be seen. */
  add(prefix: string, name: string): Promise<void> {
    const key = queueKey(prefix, name, 'events');
    const existing = this.watched.get(key);
    if (existing) return existing.started;
    let markStarted = () => {};
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    this.watched.set(key, { prefix, name, started, markStarted });
    this.keysChanged();
    return started;
  }

  remove(prefix: string, name: string): void {
    const key = queueKey(prefix, name, 'events');
    const w = this.watched.get(key);
    if (!w) return;
    this.watched.delete(key);
    w.markStarted();
    this.keysChanged();
  }

  get size(): number {
    return this.watched.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSignal.abort();
    this.wake?.();
    for (const w of this.watched.values()) w.markStarted();
    // No QUIT behind a blocked XREAD: drop the socket.
    this.conn.client.disconnect();
    await this.conn.close();
    await this.loop;
  }

  private keysChanged(): void {
    if (this.stopped) return;
    this.loop ??= this.run();
    if (this.wake) this.wake();
    else if (this.reading) {
      // A blocked XREAD holds the connection: drop it; the loop reconnects with the new keys.
      this.interrupted = true;
      this.conn.client.disconnect();
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.watched.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      try {
        await this.conn.ready(this.stopSignal.signal);
        await this.fetchStartIds();
        this.reading = true;
        const keys = [...this.watched.keys()];
        const ids = keys.map((k) => this.watched.get(k)?.lastId ?? '$');
        const reply = await this.conn.command(
          this.conn.client,
          ['xread', 'COUNT', COUNT, 'BLOCK', this.blockMs, 'STREAMS', ...keys, ...ids],
          this.stopSignal.signal,
        );
        this.reading = false;
        this.interrupted = false;
        this.handle(reply);
      } catch (err) {
        this.reading = false;
        if (this.stopped) return;
        if (this.interrupted) {
          this.interrupted = false;
          continue;
        }
        this.log.debug({ err: errorMessage(err) }, 'queue events read failed; the fallback poll covers the gap');
        // Never wait on a start id while Redis is down: the caller refreshes anyway.
        for (const w of this.watched.values()) if (w.lastId === undefined) w.markStarted();
        await this.sleep(this.retryMs);
      }
    }
  }

  /** The newest entry of each newly watched stream: events after it are the ones to act on. */
  private async fetchStartIds(): Promise<void> {
    for (const [key, w] of this.watched) {
      if (w.lastId !== undefined) continue;
      const reply = await this.conn.command(this.conn.client, ['xrevrange', key, '+', '-', 'COUNT', 1], this.stopSignal.signal);
      w.lastId = firstId(reply) ?? '0-0';
      w.markStarted();
    }
  }

  private handle(reply: unknown): void {
    if (!Array.isArray(reply)) return; // null: BLOCK timed out with no events
    for (const stream of reply as unknown[]) {
      if (!Array.isArray(stream)) continue;
      const [key, entries] = stream as [unknown, unknown];
      const w = typeof key === 'string' ? this.watched.get(key) : undefined;
      if (!w || !Array.isArray(entries) || entries.length === 0) continue;
      const last = entries[entries.length - 1] as unknown;
      const id = Array.isArray(last) && typeof last[0] === 'string' ? last[0] : undefined;
      if (id !== undefined) w.lastId = id;
      this.onEvents(w.prefix, w.name);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.stopSignal.signal.addEventListener('abort', done, { once: true });
    });
  }
}

function firstId(reply: unknown): string | undefined {
  if (!Array.isArray(reply) || reply.length === 0) return undefined;
  const entry = reply[0] as unknown;
  return Array.isArray(entry) && typeof entry[0] === 'string' ? entry[0] : undefined;
}
