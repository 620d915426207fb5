/**
 * Which BullMQ queues push streams wait on, and the signals that refresh them: BullMQ's
 * events stream on single Redis servers, plus a read the moment a queue is first watched.
 * Watches are reference counted: a hundred streams on one queue cost one XREAD key and
 * one refresh per change.
 */
import type { MetricStore } from '../store/index.js';
import type { Logger } from '../util/log.js';
import { QueueEventReader, type QueueEventsOptions } from './queue-events.js';
import { QueueRefresher, type PushQueueSource } from './queue-refresher.js';

interface Backend {
  readonly source: PushQueueSource;
  readonly refresher: QueueRefresher;
  readonly events?: QueueEventReader;
}

interface Watch {
  readonly backend: Backend;
  readonly prefix: string;
  readonly name: string;
  readonly listeners: Set<() => void>;
}

export class QueueSignals {
  private readonly backends: Backend[];
  private readonly watches = new Map<string, Watch>();

  constructor(store: MetricStore, sources: readonly PushQueueSource[], log: Logger, opts: QueueEventsOptions = {}) {
    this.backends = sources.map((source) => {
      const refresher = new QueueRefresher(store, source, (prefix, name) => this.refreshed(source, prefix, name), log);
      const events = source.endpoint.cluster
        ? undefined
        : new QueueEventReader(source.endpoint, (prefix, name) => refresher.request(prefix, name), log, opts);
      return { source, refresher, ...(events ? { events } : {}) };
    });
  }

  /**
   * Watches queue `name` under `prefix` (every configured prefix when undefined) on every
   * BullMQ source; `onChange` runs after each fresh read of it. Returns the unwatch function.
   */
  watch(name: string, prefix: string | undefined, onChange: () => void): () => void {
    const mine: Watch[] = [];
    for (const backend of this.backends) {
      const prefixes = prefix === undefined ? backend.source.prefixes : backend.source.prefixes.filter((p) => p === prefix);
      for (const p of prefixes) {
        const w = this.acquire(backend, p, name);
        w.listeners.add(onChange);
        mine.push(w);
      }
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const w of mine) {
        w.listeners.delete(onChange);
        if (w.listeners.size === 0) this.release(w);
      }
    };
  }

  /** Distinct queues watched, for metrics and tests. */
  get size(): number {
    return this.watches.size;
  }

  async stop(): Promise<void> {
    await Promise.all(this.backends.map((b) => b.events?.stop()));
    for (const w of [...this.watches.values()]) this.release(w);
  }

  private acquire(backend: Backend, prefix: string, name: string): Watch {
    const key = watchKey(backend.source, prefix, name);
    const existing = this.watches.get(key);
    if (existing) return existing;
    const w: Watch = { backend, prefix, name, listeners: new Set() };
    this.watches.set(key, w);
    backend.source.watchQueue(prefix, name);
    // Start following events first, then read: a change between the two is never lost.
    const following = backend.events?.add(prefix, name) ?? Promise.resolve();
    void following.then(() => {
      if (this.watches.get(key) === w) backend.refresher.request(prefix, name);
    });
    return w;
  }

  private release(w: Watch): void {
    const key = watchKey(w.backend.source, w.prefix, w.name);
    if (this.watches.get(key) !== w) return;
    this.watches.delete(key);
    w.backend.source.unwatchQueue(w.prefix, w.name);
    w.backend.events?.remove(w.prefix, w.name);
  }

  private refreshed(source: PushQueueSource, prefix: string, name: string): void {
    const w = this.watches.get(watchKey(source, prefix, name));
    if (!w) return;
    for (const listener of [...w.listeners]) listener();
  }
}

function watchKey(source: PushQueueSource, prefix: string, name: string): string {
  return `${source.id}\u0000${prefix}\u0000${name}`;
}
