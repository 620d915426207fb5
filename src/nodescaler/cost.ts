import type { PoolConfig, Tier } from './config.js';

/**
 * Cost model (§4.9). H hours per month is configurable; 730 = 8760/12 by default (the earlier
 * design mixed 720 and 730). Reserved commitments are paid whether used or not; reserved nodes
 * beyond the commitment are billed at the on-demand reference price.
 */

export interface PoolCount {
  pool: PoolConfig;
  /** Nodes running or provisioning (billing starts at launch). */
  nodes: number;
}

export interface CostEstimate {
  hoursPerMonth: number;
  /** USD/h now, commitments included. */
  runRatePerHour: number;
  monthlyByTier: Record<Tier, number>;
  monthly: number;
  /** The same running nodes, all at on-demand prices. */
  baselineMonthly: number;
  savingsMonthly: number;
  /** savings / baseline (0 when there is no baseline). */
  savingsRatio: number;
  savingsSpotMonthly: number;
  /** Reserved discount on used commitment minus the unused commitment. */
  savingsReservedMonthly: number;
  unusedCommitmentMonthly: number;
}

export function estimateCost(counts: readonly PoolCount[], hoursPerMonth = 730): CostEstimate {
  const H = hoursPerMonth;
  const byTier: Record<Tier, number> = { reserved: 0, spot: 0, onDemand: 0 };
  let baseline = 0;
  let savingsSpot = 0;
  let savingsReserved = 0;
  let unused = 0;
  for (const { pool, nodes } of counts) {
    const od = pool.onDemandReferencePrice;
    baseline += H * nodes * od;
    if (pool.tier === 'reserved') {
      const commitment = pool.commitment ?? 0;
      const within = Math.min(nodes, commitment);
      const overflow = Math.max(0, nodes - commitment);
      const idle = Math.max(0, commitment - nodes);
      byTier.reserved += H * (commitment * pool.pricePerHour + overflow * od);
      savingsReserved += H * (within * (od - pool.pricePerHour) - idle * pool.pricePerHour);
      unused += H * idle * pool.pricePerHour;
    } else {
      byTier[pool.tier] += H * nodes * pool.pricePerHour;
      if (pool.tier === 'spot') savingsSpot += H * nodes * (od - pool.pricePerHour);
    }
  }
  const monthly = byTier.reserved + byTier.spot + byTier.onDemand;
  const savings = baseline - monthly;
  return {
    hoursPerMonth: H,
    runRatePerHour: monthly / H,
    monthlyByTier: byTier,
    monthly,
    baselineMonthly: baseline,
    savingsMonthly: savings,
    savingsRatio: baseline > 0 ? savings / baseline : 0,
    savingsSpotMonthly: savingsSpot,
    savingsReservedMonthly: savingsReserved,
    unusedCommitmentMonthly: unused,
  };
}

export interface NodeCost {
  pricePerHour: number;
  allocated: number;
  allocatable: number;
  /** Known DCGM utilisation 0–1; undefined = unknown (left out of the utilisation figure). */
  util?: number;
}

/** Idle cost per month: by allocation (W_alloc) and by DCGM utilisation (W_util, known nodes only). */
export function idleCost(nodes: readonly NodeCost[], hoursPerMonth = 730): { allocation: number; utilisation: number; unknownNodes: number } {
  let allocation = 0;
  let utilisation = 0;
  let unknownNodes = 0;
  for (const n of nodes) {
    if (n.allocatable > 0) allocation += hoursPerMonth * n.pricePerHour * (1 - Math.min(1, n.allocated / n.allocatable));
    if (n.util === undefined) unknownNodes++;
    else utilisation += hoursPerMonth * n.pricePerHour * (1 - Math.min(1, Math.max(0, n.util)));
  }
  return { allocation, utilisation, unknownNodes };
}

/** Spend of one node between two instants (for the node_scaler_cost_usd_total counter). */
export function accrued(pricePerHour: number, fromMs: number, toMs: number): number {
  return toMs > fromMs ? (pricePerHour * (toMs - fromMs)) / 3_600_000 : 0;
}

export interface InterruptionExposure {
  /** Interruptions per node-day. */
  ratePerDay: number;
  /** Work redone after an interruption (time since the last checkpoint), hours. */
  redoHours: number;
  restartHours: number;
  replacementPricePerHour: number;
}

/** Expected monthly cost of redone work on spot: Σ λ·(t_redo + t_restart)·c·H/24. */
export function interruptionOverheadMonthly(nodes: readonly InterruptionExposure[], hoursPerMonth = 730): number {
  return nodes.reduce((s, n) => s + (n.ratePerDay * (n.redoHours + n.restartHours) * n.replacementPricePerHour * hoursPerMonth) / 24, 0);
}
