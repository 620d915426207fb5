import type { Tier } from './config.js';
import type { PoolCtx } from './context.js';
import type { Band, Millis, PodInfo } from './types.js';

/**
 * One unit of GPU demand looking for a place: an eligible pending pod, the pod of an interrupted
 * node (displaced demand, §4.7), or a rebalance replacement. All go through the same absorption
 * and allocation so that capacity is never requested twice.
 */
export interface Demand {
  /** Pod uid, or a synthetic key for replacements. */
  key: string;
  /** The pending pod, when the demand is one (verdicts are recorded for it). */
  pod?: PodInfo;
  /** Interrupted/at-risk node this demand replaces. */
  fromNode?: string;
  priority: number;
  /** GPU slots needed on one node. */
  amount: number;
  resource: string;
  since: Millis;
  /** Compatible pools in pool-index order (availability not yet considered). */
  pools: PoolCtx[];
  tiers: readonly Tier[];
  band: Band;
}

const byKey = (a: Demand, b: Demand) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** For new capacity, which is scarce: priority desc, then size desc (first-fit decreasing), then oldest, then key. */
export function compareDemand(a: Demand, b: Demand): number {
  return b.priority - a.priority || b.amount - a.amount || a.since - b.since || byKey(a, b);
}

/**
 * For capacity that exists or is already paid for: size desc first, so big pods get whole nodes
 * and the same pods land on the same in-flight nodes tick after tick (priority breaks ties).
 */
export function compareBySize(a: Demand, b: Demand): number {
  return b.amount - a.amount || b.priority - a.priority || a.since - b.since || byKey(a, b);
}
