import type { AnswerValidity } from '../provider/index.js';

/** A 200 answer as sent: the JSON bytes, and what is needed to serve them again. */
export interface CachedAnswer {
  readonly body: Buffer;
  /** The request-metrics route label. */
  readonly route: string;
  readonly metric: string;
  readonly token: string;
  readonly untilMs: number;
}

/** Bounds memory: URLs are chosen by clients. */
const MAX_ENTRIES = 256;

/**
 * Serialized 200 answers by request URL. Looking up, combining, rendering and stringifying a
 * GPU query over 500 pods costs milliseconds, while HPAs, KEDA and dashboards repeat the same
 * few URLs far more often than sources are polled. An entry is served only while the provider's
 * token is unchanged and its samples are still fresh, so a reused answer is exactly the one a
 * fresh read would give.
 */
export class AnswerCache {
  private readonly entries = new Map<string, CachedAnswer>();

  constructor(
    private readonly validity: AnswerValidity,
    private readonly now: () => number = Date.now,
  ) {}

  get(url: string): CachedAnswer | undefined {
    const entry = this.entries.get(url);
    if (!entry) return undefined;
    if (this.holds(entry, this.now())) return entry;
    this.entries.delete(url);
    return undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Call in the same synchronous turn that computed the answer: nothing can have written to
   * the store since, so the token read here is the one the answer was computed under.
   */
  set(url: string, metric: string, route: string, body: Buffer): void {
    const token = this.validity.answerToken(metric);
    if (token === undefined) return;
    this.entries.delete(url);
    this.sweep();
    if (this.entries.size >= MAX_ENTRIES) {
      const [oldest] = this.entries.keys();
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(url, { body, route, metric, token, untilMs: this.validity.answerValidUntil(metric) });
  }

  private holds(entry: CachedAnswer, nowMs: number, token = this.validity.answerToken(entry.metric)): boolean {
    return entry.token === token && nowMs <= entry.untilMs;
  }

  /**
   * Drops answers that can never be served again. Without it an answer stays until its URL is
   * asked for once more: 20 namespaces of 500 GPU pods each read once kept ~2 MB of bodies.
   */
  private sweep(): void {
    const nowMs = this.now();
    // Few metrics, up to MAX_ENTRIES answers: read each metric's token once.
    const tokens = new Map<string, string | undefined>();
    for (const [url, entry] of this.entries) {
      if (!tokens.has(entry.metric)) tokens.set(entry.metric, this.validity.answerToken(entry.metric));
      if (!this.holds(entry, nowMs, tokens.get(entry.metric))) this.entries.delete(url);
    }
  }
}
