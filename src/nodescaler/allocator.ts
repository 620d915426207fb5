import type { Tier } from './config.js';
import { launchAllowance } from './availability.js';
import type { Bin, Ctx, PoolCtx } from './context.js';
import { plannedDesired } from './context.js';
import type { Demand } from './demand.js';
import { compareRank, gpuTotals, rankedPools, spotCapExceeded, type PoolRank } from './ordering.js';

export interface Placement {
  pool: PoolCtx;
  /** True when a new node was opened for it. */
  newNode: boolean;
  bin: Bin;
  /** Better-ranked compatible pools that could not take it, and why. */
  skipped: Skip[];
}

export interface Skip {
  pool: string;
  why: string;
}

/**
 * `deferred`: a better pool is only rate-limited (per-tick limit, cooldown), so the demand waits
 * for the next tick instead of falling through to a dearer tier. `unsatisfiable`: no pool can
 * take it now.
 */
export type AllocationResult = { ok: true; placement: Placement } | { ok: false; deferred: boolean; reasons: Skip[] };

/** Failures are shared objects: the same few are handed to thousands of demands. */
type Failure = { ok: false; transient: boolean; skip: Skip };
type Attempt = { ok: true; waste: number; bin?: Bin } | Failure;
type Ranked = Array<{ pool: PoolCtx; rank: PoolRank }>;

const MAX_SKIPPED = 8;

/**
 * Scale-up allocation (§4.4): for each demand, the best-ranked pool with room — an open node
 * planned this tick (first fit, so multi-GPU nodes fill before another opens) or a new node
 * within max, the probe limit and the spot share cap. Inside one rank (same tier and price per
 * GPU) the least waste wins, then weight, then name.
 */
export class Allocator {
  private ranked: Ranked;
  private readonly totals: { spot: number; total: number };
  private readonly allowance = new Map<PoolCtx, { allowed: number; why?: string }>();
  private subsets = new Map<readonly PoolCtx[], Map<readonly Tier[], Ranked>>();
  private readonly blockers = new Map<PoolCtx, { newNodes: number; spot: number; total: number; value: Failure | undefined }>();

  constructor(private readonly ctx: Ctx) {
    this.ranked = rankedPools(ctx);
    this.totals = gpuTotals(ctx);
    for (const p of ctx.pools) this.allowance.set(p, launchAllowance(p, ctx.cfg.backoff.probeNodes));
  }

  /** Places one demand; `wholeNode` always opens a new node (headroom, pre-warm). */
  place(d: Demand, wholeNode = false): AllocationResult {
    const skipped: Skip[] = [];
    const candidates = this.candidatesFor(d);
    let deferredTier: number | undefined;
    let i = 0;
    while (i < candidates.length) {
      // Rate limits may push demand to a sibling pool of the same tier, never to a dearer tier.
      if (deferredTier !== undefined && candidates[i]!.rank.tierRank !== deferredTier) return { ok: false, deferred: true, reasons: skipped };
      let j = i;
      let best: { pool: PoolCtx; attempt: Extract<Attempt, { ok: true }> } | undefined;
      while (j < candidates.length && compareRank(candidates[j]!.rank, candidates[i]!.rank) === 0) {
        const pool = candidates[j]!.pool;
        const attempt = this.attempt(pool, d, wholeNode);
        if (!attempt.ok) {
          if (skipped.length < MAX_SKIPPED) skipped.push(attempt.skip);
          if (attempt.transient) deferredTier ??= candidates[j]!.rank.tierRank;
        } else if (!best || isBetter(pool, attempt, best.pool, best.attempt)) best = { pool, attempt };
        j++;
      }
      if (best) return { ok: true, placement: this.commit(best.pool, best.attempt, d, skipped) };
      i = j;
    }
    return { ok: false, deferred: deferredTier !== undefined, reasons: skipped };
  }

  /** Compatible pools in allowed tiers, in rank order; cached by array identity. */
  private candidatesFor(d: Demand): Ranked {
    let byTiers = this.subsets.get(d.pools);
    if (!byTiers) {
      byTiers = new Map();
      this.subsets.set(d.pools, byTiers);
    }
    let subset = byTiers.get(d.tiers);
    if (!subset) {
      const allowed = new Set(d.pools);
      subset = this.ranked.filter((r) => allowed.has(r.pool) && d.tiers.includes(r.pool.tier));
      byTiers.set(d.tiers, subset);
    }
    return subset;
  }

  private attempt(pool: PoolCtx, d: Demand, wholeNode: boolean): Attempt {
    if (d.amount > pool.slots) return { ok: false, transient: false, skip: { pool: pool.name, why: `needs ${d.amount} ${d.resource} on one node; a node offers ${pool.slots}` } };
    if (!wholeNode) {
      for (const bin of pool.openBins) if (bin.free >= d.amount) return { ok: true, waste: bin.free - d.amount, bin };
    }
    return this.newNodeBlocker(pool) ?? { ok: true, waste: pool.slots - d.amount };
  }

  /** Memoised per pool until its size or the fleet's GPU totals change (thousands of pods ask the same question). */
  private newNodeBlocker(pool: PoolCtx): Failure | undefined {
    const hit = this.blockers.get(pool);
    if (hit && hit.newNodes === pool.newNodes && hit.spot === this.totals.spot && hit.total === this.totals.total) return hit.value;
    const blocked = this.computeBlocker(pool);
    const value: Failure | undefined = blocked && { ok: false, transient: blocked.transient, skip: { pool: pool.name, why: blocked.why } };
    this.blockers.set(pool, { newNodes: pool.newNodes, spot: this.totals.spot, total: this.totals.total, value });
    return value;
  }

  private computeBlocker(pool: PoolCtx): { why: string; transient: boolean } | undefined {
    const { cfg, now, spotMaxShare } = this.ctx;
    const allowance = this.allowance.get(pool)!;
    if (pool.newNodes >= allowance.allowed) return { why: allowance.why ?? 'probe limit reached', transient: false };
    if (plannedDesired(pool) >= pool.cfg.max) return { why: `at max (${pool.cfg.max} nodes)`, transient: false };
    const perTick = Math.max(cfg.scaleUp.maxNodesPerTick, Math.ceil(cfg.scaleUp.maxNodesPerTickFraction * pool.current));
    if (pool.newNodes >= perTick) return { why: `scale-up limit of ${perTick} node(s) per tick reached`, transient: true };
    const last = pool.mem.lastScaleUpAt;
    if (pool.newNodes === 0 && last !== undefined && now - last < cfg.scaleUp.cooldownSeconds * 1000) {
      return { why: `scale-up cooldown (${cfg.scaleUp.cooldownSeconds}s)`, transient: true };
    }
    const gpus = pool.cfg.gpusPerNode;
    if (pool.tier === 'spot' && spotCapExceeded(this.totals.spot, this.totals.total, gpus, spotMaxShare)) {
      return { why: `spot share cap ${spotMaxShare.toFixed(2)} reached`, transient: false };
    }
    return undefined;
  }

  private commit(pool: PoolCtx, attempt: Extract<Attempt, { ok: true }>, d: Demand, skipped: Skip[]): Placement {
    let bin = attempt.bin;
    const newNode = bin === undefined;
    if (!bin) {
      bin = { free: pool.slots };
      pool.openBins.push(bin);
      pool.newBins.push(bin);
      this.addNode(pool, d.pod ? 'pending GPU pods' : d.fromNode ? `replacement for ${d.fromNode}` : d.key);
    }
    bin.free -= d.amount;
    // Full planned nodes leave the first-fit scan so large plans stay linear.
    if (bin.free === 0) pool.openBins.splice(pool.openBins.indexOf(bin), 1);
    return { pool, newNode, bin, skipped };
  }

  /** Counts one more planned node (also used for floors), attributed to `cause` in the pool's reasons. */
  addNode(pool: PoolCtx, cause = 'pending GPU pods'): void {
    pool.causes.set(cause, (pool.causes.get(cause) ?? 0) + 1);
    const wasWithin = pool.tier === 'reserved' && plannedDesired(pool) < (pool.cfg.commitment ?? 0);
    pool.newNodes++;
    this.totals.total += pool.cfg.gpusPerNode;
    if (pool.tier === 'spot') this.totals.spot += pool.cfg.gpusPerNode;
    // Filling the commitment moves a reserved pool down to the overflow rank.
    if (wasWithin && plannedDesired(pool) >= (pool.cfg.commitment ?? 0)) this.rerank();
  }

  private rerank(): void {
    this.ranked = rankedPools(this.ctx);
    this.subsets = new Map();
  }
}

function isBetter(pool: PoolCtx, a: { waste: number }, bestPool: PoolCtx, best: { waste: number }): boolean {
  if (a.waste !== best.waste) return a.waste < best.waste;
  if (pool.cfg.weight !== bestPool.cfg.weight) return pool.cfg.weight > bestPool.cfg.weight;
  return pool.idx < bestPool.idx;
}
