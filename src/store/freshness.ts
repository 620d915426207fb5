/** What the store remembers about a source's polls. */
export interface SourceStatus {
  readonly id: string;
  lastSuccessMs?: number;
  lastAttemptMs?: number;
  lastError?: string;
}

/** Healthy: the last poll succeeded and it is no older than `maxAgeMs`. */
export function isHealthy(s: SourceStatus, now: number, maxAgeMs: number): boolean {
  if (s.lastError !== undefined || s.lastSuccessMs === undefined) return false;
  return now - s.lastSuccessMs <= maxAgeMs;
}

/** Why a source is not healthy, in words for an error message. */
export function describeUnhealthy(s: SourceStatus, now: number, maxAgeMs: number): string {
  if (s.lastError !== undefined) return `source ${s.id} is failing: ${s.lastError}`;
  if (s.lastSuccessMs === undefined) return `source ${s.id} has not completed its first poll yet`;
  const age = Math.round((now - s.lastSuccessMs) / 1000);
  return `source ${s.id} last answered ${age}s ago, older than the ${Math.round(maxAgeMs / 1000)}s limit`;
}
