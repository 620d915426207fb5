import type { Bin, Ctx, PoolCtx } from './context.js';
import { compareBySize, type Demand } from './demand.js';

/**
 * Capacity accounting (§4.2). In flight per pool = max(0, desired − registered) plus nodes
 * whose GPUs have not appeared yet (device plugin starting): both are capacity already paid
 * for, so pending pods are placed on them before anything new is requested.
 */
export function buildInflightBins(ctx: Ctx): void {
  const notReady = new Map<PoolCtx, string[]>();
  for (const n of ctx.nodes) {
    if (!n.pool || !n.gpuNotReady || n.interrupted || n.draining) continue;
    const list = notReady.get(n.pool);
    if (list) list.push(n.info.name);
    else notReady.set(n.pool, [n.info.name]);
  }
  for (const pool of ctx.pools) {
    for (const name of notReady.get(pool) ?? []) pool.inflightBins.push({ node: name, free: pool.slots });
    const requested = Math.max(0, pool.base - pool.registered);
    for (let i = 0; i < requested; i++) pool.inflightBins.push({ free: pool.slots });
  }
}

/**
 * Places demand on free slots of existing usable nodes, then on in-flight nodes: best fit
 * decreasing (biggest demand first, into the fullest bin that still fits it). Demands that
 * waited on a pool last tick go back to that pool first, so the same pods keep the same
 * in-flight nodes and a greedy re-shuffle never asks for a node twice. Existing placements mean
 * "the scheduler should bind it": the GPU model only sees slots, and a pod the scheduler
 * rejects despite free slots is blocked by something a new node of the same shape would not fix.
 */
export function absorb(demands: readonly Demand[], claims: Readonly<Record<string, string>>, onPlaced: (d: Demand, kind: 'fits-existing' | 'absorbed', pool: PoolCtx, bin: Bin) => void): Demand[] {
  const sorted = [...demands].sort(compareBySize);
  const rest: Demand[] = [];
  for (const d of sorted) {
    const claimed = claims[d.key];
    const pool = claimed === undefined ? undefined : d.pools.find((p) => p.name === claimed && d.tiers.includes(p.tier));
    const hit = pool && (bestFit(d, [pool], 'existingBins') ?? bestFit(d, [pool], 'inflightBins'));
    if (hit) place(d, hit, onPlaced);
    else rest.push(d);
  }
  const left: Demand[] = [];
  for (const d of rest) {
    const hit = bestFit(d, d.pools, 'existingBins') ?? bestFit(d, d.pools, 'inflightBins');
    if (hit) place(d, hit, onPlaced);
    else left.push(d);
  }
  return left;
}

type Hit = { pool: PoolCtx; bin: Bin; kind: 'fits-existing' | 'absorbed' };

function place(d: Demand, hit: Hit, onPlaced: (d: Demand, kind: Hit['kind'], pool: PoolCtx, bin: Bin) => void): void {
  hit.bin.free -= d.amount;
  onPlaced(d, hit.kind, hit.pool, hit.bin);
}

function bestFit(d: Demand, pools: readonly PoolCtx[], which: 'existingBins' | 'inflightBins'): Hit | undefined {
  let best: { pool: PoolCtx; bin: Bin } | undefined;
  for (const pool of pools) {
    if (!d.tiers.includes(pool.tier)) continue;
    for (const bin of pool[which]) {
      if (bin.free >= d.amount && (!best || bin.free < best.bin.free)) best = { pool, bin };
    }
  }
  return best && { ...best, kind: which === 'existingBins' ? 'fits-existing' : 'absorbed' };
}
