import type { Allocator } from './allocator.js';
import type { Ctx } from './context.js';
import { plannedDesired } from './context.js';

/**
 * Above max (the max was lowered, or someone raised the engine's count): lower it before the
 * in-flight capacity is counted, so nothing waits for nodes that will not be kept.
 */
export function clampToMax(ctx: Ctx): void {
  for (const pool of ctx.pools) {
    const excess = plannedDesired(pool) - pool.cfg.max;
    if (excess <= 0) continue;
    pool.base -= excess;
    pool.reasons.push(`above max (${pool.cfg.max}): lowered by ${excess}; the engine picks the victims`);
  }
}

/** Never below min or the reserved commitment. */
export function raiseToFloor(ctx: Ctx, alloc: Allocator): void {
  for (const pool of ctx.pools) {
    const deficit = pool.floor - plannedDesired(pool);
    for (let i = 0; i < deficit; i++) alloc.addNode(pool, pool.cfg.commitment ? 'floor (min / commitment)' : 'floor (min)');
  }
}
