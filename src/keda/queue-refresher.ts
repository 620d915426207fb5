/**
 * Re-reads one BullMQ queue at once and writes it through the MetricStore, so a push
 * stream sees a new job within milliseconds and the HTTP API sees the very same number.
 * Requests for a queue coalesce: while a read is in flight, any number of further requests
 * cause exactly one more read after it.
 */
import type { MetricPoint } from '../store/index.js';
import type { MetricStore } from '../store/index.js';
import type { RedisEndpoint } from '../sources/bullmq-endpoint.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import { QUEUE_METRIC } from './trigger-metadata.js';

/** What the push path needs of a BullMQ source (BullmqSource implements it). */
export interface PushQueueSource {
  readonly id: string;
  readonly endpoint: RedisEndpoint;
  readonly prefixes: readonly string[];
  readQueue(prefix: string, name: string, signal: AbortSignal): Promise<MetricPoint[]>;
  watchQueue(prefix: string, name: string): void;
  unwatchQueue(prefix: string, name: string): void;
}

interface InFlight {
  again: boolean;
}

const READ_TIMEOUT_MS = 2_000;

export class QueueRefresher {
  private readonly inFlight = new Map<string, InFlight>();

  constructor(
    private readonly store: MetricStore,
    private readonly source: PushQueueSource,
    /** Called after every completed read of a queue, with the store already updated. */
    private readonly onRefreshed: (prefix: string, name: string) => void,
    private readonly log: Logger,
  ) {}

  /** Schedules a read of `prefix:name`; never throws (failures are logged, the poller reports them). */
  request(prefix: string, name: string): void {
    const key = `${prefix}\u0000${name}`;
    const running = this.inFlight.get(key);
    if (running) {
      running.again = true;
      return;
    }
    const state: InFlight = { again: false };
    this.inFlight.set(key, state);
    void this.run(prefix, name, state).finally(() => this.inFlight.delete(key));
  }

  /** Reads in flight, for tests. */
  get pending(): number {
    return this.inFlight.size;
  }

  private async run(prefix: string, name: string, state: InFlight): Promise<void> {
    do {
      state.again = false;
      try {
        const points = await this.source.readQueue(prefix, name, AbortSignal.timeout(READ_TIMEOUT_MS));
        this.store.replaceSeries(this.source.id, (p) => isQueuePoint(p, prefix, name), points);
        this.onRefreshed(prefix, name);
      } catch (err) {
        this.log.debug({ source: this.source.id, prefix, queue: name, err: errorMessage(err) }, 'queue refresh failed');
        return;
      }
    } while (state.again);
  }
}

function isQueuePoint(p: MetricPoint, prefix: string, name: string): boolean {
  return p.metric === QUEUE_METRIC && p.labels.prefix === prefix && p.labels.queue_name === name;
}
