import type { Logger } from '../util/log.js';

/**
 * Logs the first event of each key, then at most one per `intervalMs` with the count of
 * the ones left out, so a misconfigured client cannot flood the log.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    this.write('warn', key, fields, msg);
  }

  error(key: string, fields: Record<string, unknown>, msg: string): void {
    this.write('error', key, fields, msg);
  }

  private write(level: 'warn' | 'error', key: string, fields: Record<string, unknown>, msg: string): void {
    const now = this.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    if (this.last.size > 1000) this.last.clear();
    this.last.set(key, { at: now, suppressed: 0 });
    this.log[level]({ ...fields, suppressed: seen?.suppressed ?? 0 }, msg);
  }
}
