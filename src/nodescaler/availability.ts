import type { Ctx, PoolCtx } from './context.js';
import type { Availability, Millis } from './types.js';

/**
 * The pool availability state machine (§4.3), the core of fast fallback:
 *
 *   available ──failure──▶ backoff(k) ──b_k elapsed──▶ probing ──a node registers──▶ available
 *                              ▲                          │
 *                              └────────failure───────────┘   (k+1 if within resetAfter, else 0)
 *
 * b_k = min(b0·2^k, bMax). Failures: an explicit capacity failure from the actuator, nodes not
 * registered within the pool's provision timeout, or a spot interruption (backoff(0), as
 * Karpenter marks an interrupted offering unavailable). Entering backoff cancels the pool's
 * unfulfilled request so its pending pods flow to the next pool in the same tick.
 */
export function updateAvailability(ctx: Ctx, interruptedPools: ReadonlySet<string>): void {
  for (const pool of ctx.pools) {
    reconcileRequests(pool, ctx.now);
    settleQuietPool(ctx, pool);
    const failure = detectFailure(ctx, pool);
    if (failure) enterBackoff(ctx, pool, failure, false);
    else if (interruptedPools.has(pool.name) && pool.tier === 'spot' && pool.mem.availability.state !== 'backoff') {
      enterBackoff(ctx, pool, 'spot interruption in this pool', true);
    } else if (pool.mem.availability.state === 'backoff') {
      // Someone (the engine replacing a lost node, an operator) may have raised it again.
      cancelUnfulfilled(ctx, pool);
    }
  }
}

/**
 * Keeps Σ requests = max(0, desired − registered): registered nodes fulfil the oldest requests
 * first; a raise nobody here made (an operator, the engine replacing a lost node) starts its
 * provision clock now.
 */
function reconcileRequests(pool: PoolCtx, now: Millis): void {
  const outstanding = Math.max(0, pool.current - pool.registered);
  const reqs = pool.mem.requests;
  let total = reqs.reduce((s, r) => s + r.nodes, 0);
  while (total > outstanding && reqs.length > 0) {
    const head = reqs[0]!;
    const take = Math.min(head.nodes, total - outstanding);
    head.nodes -= take;
    total -= take;
    if (head.nodes === 0) reqs.shift();
  }
  if (total < outstanding) reqs.push({ nodes: outstanding - total, at: now });
}

function settleQuietPool(ctx: Ctx, pool: PoolCtx): void {
  const av = pool.mem.availability;
  const { backoff } = ctx.cfg;
  if (av.state === 'backoff' && ctx.now >= av.until) {
    pool.mem.availability = { state: 'probing', level: av.level, lastFailureAt: av.lastFailureAt, since: ctx.now, registeredAtStart: pool.registered };
    pool.reasons.push(`backoff over: probing with at most ${backoff.probeNodes} node(s)`);
    return;
  }
  // Success is a node that registered while probing (not a request trimmed by a lower desired).
  if (av.state === 'probing' && pool.registered > av.registeredAtStart) {
    pool.mem.availability = { state: 'available', level: av.level, lastFailureAt: av.lastFailureAt };
    pool.reasons.push('probe node registered: available again');
    event(ctx, pool, 'Normal', 'PoolAvailable', 'a probe node registered; the pool is available again');
    return;
  }
  if (av.state !== 'backoff' && av.lastFailureAt !== undefined && ctx.now - av.lastFailureAt >= backoff.resetAfterSeconds * 1000) {
    pool.mem.availability = { state: 'available', level: 0 };
  }
}

function detectFailure(ctx: Ctx, pool: PoolCtx): string | undefined {
  const mem = pool.mem;
  const failure = pool.capacityFailure;
  let reason: string | undefined;
  if (failure && (mem.handledFailureAt === undefined || failure.at > mem.handledFailureAt)) {
    mem.handledFailureAt = failure.at;
    reason = `capacity failure: ${failure.reason}`;
  }
  const oldest = mem.requests[0];
  const timeoutMs = pool.cfg.provisionTimeoutSeconds * 1000;
  if (!reason && oldest && ctx.now - oldest.at > timeoutMs) {
    reason = `${oldest.nodes} node(s) requested ${Math.round((ctx.now - oldest.at) / 1000)}s ago not registered within ${pool.cfg.provisionTimeoutSeconds}s`;
  }
  // A failure reported while already backing off belongs to the request that caused it.
  return mem.availability.state === 'backoff' ? undefined : reason;
}

function enterBackoff(ctx: Ctx, pool: PoolCtx, reason: string, fromInterruption: boolean): void {
  const prev = pool.mem.availability;
  const { backoff } = ctx.cfg;
  const recent = prev.lastFailureAt !== undefined && ctx.now - prev.lastFailureAt < backoff.resetAfterSeconds * 1000;
  const level = fromInterruption ? 0 : recent ? prev.level + 1 : 0;
  const durationMs = Math.min(backoff.initialSeconds * 1000 * 2 ** level, backoff.maxSeconds * 1000);
  const next: Availability = { state: 'backoff', level, lastFailureAt: ctx.now, until: ctx.now + durationMs, reason };
  pool.mem.availability = next;
  cancelUnfulfilled(ctx, pool);
  const msg = `backoff level ${level} for ${Math.round(durationMs / 1000)}s: ${reason}`;
  pool.reasons.push(msg);
  event(ctx, pool, 'Warning', 'PoolBackoff', msg);
}

/** Nodes that will not come are not waited for: desired drops to what exists (never below the floor). */
function cancelUnfulfilled(ctx: Ctx, pool: PoolCtx): void {
  const target = Math.max(pool.floor, pool.registered);
  if (pool.base > target) {
    pool.reasons.push(`cancelled ${pool.base - target} unfulfilled node(s)`);
    pool.base = target;
  }
  const outstanding = Math.max(0, pool.base - pool.registered);
  pool.mem.requests = outstanding > 0 ? [{ nodes: outstanding, at: ctx.now }] : [];
}

function event(ctx: Ctx, pool: PoolCtx, type: 'Normal' | 'Warning', reason: string, message: string): void {
  ctx.events.push({ involved: { kind: 'Pool', name: pool.name }, type, reason, message });
}

/** May the pool take new nodes now, and how many at most (probe limit)? */
export function launchAllowance(pool: PoolCtx, probeNodes: number): { allowed: number; why?: string } {
  const av = pool.mem.availability;
  if (av.state === 'backoff') return { allowed: 0, why: `backoff until ${new Date(av.until).toISOString()} (${av.reason})` };
  if (av.state === 'probing') {
    const inFlight = pool.mem.requests.reduce((s, r) => s + r.nodes, 0);
    const allowed = Math.max(0, probeNodes - inFlight);
    return allowed > 0 ? { allowed } : { allowed: 0, why: `probing: ${inFlight} probe node(s) already in flight` };
  }
  return { allowed: Number.POSITIVE_INFINITY };
}
