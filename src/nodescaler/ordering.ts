import type { Ctx, PoolCtx } from './context.js';
import { plannedDesired } from './context.js';

/**
 * Scale-up preference between pools (§4.4): tier rank (reserved within commitment, then spot,
 * then on-demand and reserved overflow), spot pools demoted for interruptions last among spot,
 * then effective price per GPU-hour. Least waste, weight and name break ties per pod.
 */
export interface PoolRank {
  tierRank: number;
  demoted: number;
  pricePerGpu: number;
}

export function poolRank(pool: PoolCtx): PoolRank {
  const cfg = pool.cfg;
  const withinCommitment = pool.tier === 'reserved' && plannedDesired(pool) < (cfg.commitment ?? 0);
  // Reserved nodes beyond the commitment are billed like on-demand (§4.9), so they rank with it.
  const overflow = pool.tier === 'reserved' && !withinCommitment;
  const tierRank = withinCommitment ? 0 : pool.tier === 'spot' ? 1 : 2;
  const price = overflow ? cfg.onDemandReferencePrice : cfg.pricePerHour;
  return { tierRank, demoted: pool.tier === 'spot' && pool.mem.demoted ? 1 : 0, pricePerGpu: price / cfg.gpusPerNode };
}

export function compareRank(a: PoolRank, b: PoolRank): number {
  return a.tierRank - b.tierRank || a.demoted - b.demoted || a.pricePerGpu - b.pricePerGpu;
}

/** Pools in preference order; ties keep the deterministic name order. */
export function rankedPools(ctx: Ctx): Array<{ pool: PoolCtx; rank: PoolRank }> {
  return ctx.pools.map((pool) => ({ pool, rank: poolRank(pool) })).sort((a, b) => compareRank(a.rank, b.rank) || a.pool.idx - b.pool.idx);
}

/** Physical GPUs by tier group as the plan stands (interrupted and draining nodes are leaving). */
export function gpuTotals(ctx: Ctx): { spot: number; total: number } {
  let spot = 0;
  let total = 0;
  for (const p of ctx.pools) {
    const gpus = Math.max(0, plannedDesired(p) - p.interrupted - p.draining) * p.cfg.gpusPerNode;
    total += gpus;
    if (p.tier === 'spot') spot += gpus;
  }
  return { spot, total };
}

/** Would the spot share exceed the cap after adding `gpus` to spot? At the cap exactly is allowed. */
export function spotCapExceeded(spot: number, total: number, gpus: number, cap: number): boolean {
  return (spot + gpus) / (total + gpus) > cap + 1e-12;
}
