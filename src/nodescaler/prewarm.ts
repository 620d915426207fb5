import type { Allocator } from './allocator.js';
import type { Ctx, PoolCtx } from './context.js';
import { plannedDesired } from './context.js';
import { addSlots } from './headroom.js';

/**
 * Pre-warm floors from the predictor (§4.8): while a target is in force, the class keeps at
 * least `gpus` slots (allocatable + in flight); the shortfall is added on the cheapest
 * available pool by the §4.4 order. Scale-down honours the same floor.
 */
export function applyPrewarm(ctx: Ctx, alloc: Allocator): void {
  for (const t of ctx.prewarm) {
    const pools = t.pools.map((n) => ctx.poolByName.get(n)).filter((p): p is PoolCtx => p !== undefined);
    if (pools.length === 0) continue;
    const have = pools.reduce((s, p) => s + Math.max(0, plannedDesired(p) - p.interrupted - p.draining) * p.slots, 0);
    if (have >= t.gpus) continue;
    const added = addSlots(ctx, alloc, pools, t.gpus - have, `pre-warm ${t.className}`);
    if (added > 0) pools[0]!.reasons.push(`pre-warm ${t.className}: ${t.reason}`);
  }
}
