import type { Source } from '../sources/types.js';
import type { MetricStore } from './metric-store.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';

export interface PollObserver {
  /** Called after every poll with its duration and outcome. */
  pollDone(source: string, seconds: number, error?: string): void;
}

export interface PollerOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/**
 * Polls one source on its own schedule and writes the outcome into the store.
 * Polls never overlap; a poll that outlives its timeout is aborted and recorded as failed.
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly source: Source,
    private readonly store: MetricStore,
    private readonly opts: PollerOptions,
    private readonly log: Logger,
    private readonly observer?: PollObserver,
  ) {
    store.registerSource(source.id, source.metrics);
  }

  /** Starts polling; resolves after the first poll completed (either way). */
  start(): Promise<void> {
    this.stopped = false;
    return this.tick();
  }

  /** Polls once now (used at start and by tests). */
  async pollOnce(): Promise<void> {
    const started = performance.now();
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    try {
      const points = await withAbort(this.source.poll(signal), signal, this.opts.timeoutMs);
      this.store.replace(this.source.id, points);
      this.observer?.pollDone(this.source.id, (performance.now() - started) / 1000);
    } catch (err) {
      const message = errorMessage(err);
      this.store.fail(this.source.id, message);
      this.observer?.pollDone(this.source.id, (performance.now() - started) / 1000, message);
      this.log.warn({ source: this.source.id, err: message }, 'poll failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.source.close();
  }

  private tick(): Promise<void> {
    this.running = this.pollOnce().finally(() => {
      if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.opts.intervalMs);
    });
    return this.running;
  }
}

/** A source that ignores its signal still cannot hold the poller past the timeout. */
function withAbort<T>(p: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(`timed out after ${timeoutMs}ms`));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
