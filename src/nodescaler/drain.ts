import { BAND_ORDER } from './bands.js';
import { drainTimeoutSeconds } from './config.js';
import type { Ctx, NodeCtx } from './context.js';
import { plannedDesired, setNodeVerdict } from './context.js';
import { groupByBand } from './interruption.js';
import { TAINT } from './names.js';
import { movablePods, podGraceSeconds, podRef } from './pods.js';
import { requestRemoval } from './removal.js';

/**
 * Progress of scale-down drains started on earlier ticks (§4.6 "action for a non-empty
 * victim"). Evictions go through the Eviction API band by band (the next band only when the
 * previous one is gone); an empty node is removed; a drain that outlives the timeout is
 * aborted — uncordon, untaint, keep the node for `unremovableSeconds` and pause the pool's
 * scale-down for `delayAfterFailureSeconds`.
 */
export function advanceDrains(ctx: Ctx): void {
  for (const node of ctx.nodes) {
    if (!node.draining || !node.pool) continue;
    const pods = movablePods(node);
    const pool = node.pool;
    // Never shrink a pool in the tick it grows; the drain continues and the node goes next tick.
    if (pool.newNodes > 0 && pods.length === 0) {
      setNodeVerdict(ctx, node, 'draining', `drained; removal waits: pool ${pool.name} scales up in this tick`);
      continue;
    }
    // The floor may have risen since the drain began (a new min, or another removal this tick).
    if (plannedDesired(pool) - 1 < pool.floor) {
      abortDrain(ctx, node, `pool ${pool.name} is at its floor (${pool.floor})`, false);
      continue;
    }
    if (pods.length === 0) {
      requestRemoval(ctx, node, 'drained');
      continue;
    }
    const since = node.mem.drainingSince!;
    if (ctx.now - since > drainTimeoutSeconds(ctx.cfg) * 1000) {
      abortDrain(ctx, node, `drain timed out after ${drainTimeoutSeconds(ctx.cfg)}s with ${pods.length} pod(s) left`, true);
      continue;
    }
    evictLowestBand(ctx, node, pods);
  }
}

/**
 * A pool that needs new nodes this tick takes back its drained, empty nodes first: uncordoning
 * one is instant capacity of the same shape, where a new node takes minutes and costs the same.
 * Runs before the floor is topped up, which counts the kept node as it counts any other.
 */
export function reclaimDrained(ctx: Ctx): void {
  for (const node of ctx.nodes) {
    const pool = node.pool;
    if (!node.draining || !pool || pool.newNodes === 0 || movablePods(node).length > 0) continue;
    abortDrain(ctx, node, `pool ${pool.name} needs capacity in this tick: drain cancelled, node kept`, false);
    node.kept = true;
    pool.newNodes--;
    const [cause, n] = [...pool.causes].find(([, count]) => count > 0)!;
    pool.causes.set(cause, n - 1);
    pool.reasons.push(`reused drained node ${node.info.name} instead of a new one`);
    // The pods planned on the newest new node go to the kept node instead.
    const bin = pool.newBins.pop();
    for (const v of (bin && ctx.binPods.get(bin)) || []) {
      v.status = 'fits-existing';
      v.node = node.info.name;
      v.reason = `drained node ${node.info.name} kept for it (drain cancelled)`;
    }
  }
}

/** Starts a drain on this tick: taint, cordon and the first band's evictions. */
export function startDrain(ctx: Ctx, node: NodeCtx, reason: string): void {
  const name = node.info.name;
  node.mem.drainingSince = ctx.now;
  node.draining = true;
  node.pool!.draining++;
  ctx.actions.push({ kind: 'taint', node: name, taint: { key: TAINT.draining, value: String(Math.floor(ctx.now / 1000)), effect: 'NoSchedule' }, reason });
  ctx.actions.push({ kind: 'cordon', node: name, reason });
  evictLowestBand(ctx, node, movablePods(node));
  setNodeVerdict(ctx, node, 'draining', reason);
  ctx.events.push({ involved: { kind: 'Node', name }, type: 'Normal', reason: 'ScaleDownDrain', message: `draining node of pool ${node.pool!.name}: ${reason}` });
}

function evictLowestBand(ctx: Ctx, node: NodeCtx, pods: ReturnType<typeof movablePods>): void {
  const byBand = groupByBand(ctx, pods);
  const band = BAND_ORDER.find((b) => (byBand.get(b) ?? []).length > 0);
  if (!band) return;
  const cap = ctx.cfg.scaleDown.maxGracefulTerminationSeconds;
  for (const pod of byBand.get(band)!) {
    if (pod.terminating) continue;
    ctx.actions.push({ kind: 'evict', node: node.info.name, pod: podRef(pod), uid: pod.uid, graceSeconds: Math.min(podGraceSeconds(pod), cap), notBefore: ctx.now, band, reason: `scale-down drain: band ${band}` });
  }
  setNodeVerdict(ctx, node, 'draining', `evicting band ${band}; ${pods.length} pod(s) left`);
}

function abortDrain(ctx: Ctx, node: NodeCtx, reason: string, failed: boolean): void {
  const name = node.info.name;
  const pool = node.pool!;
  ctx.actions.push({ kind: 'untaint', node: name, key: TAINT.draining, reason });
  ctx.actions.push({ kind: 'uncordon', node: name, reason });
  node.mem.drainingSince = undefined;
  node.mem.drainCancelledAt = ctx.now;
  node.mem.unneededSince = undefined;
  node.draining = false;
  pool.draining--;
  setNodeVerdict(ctx, node, 'blocked', reason);
  if (!failed) return;
  // A failed drain keeps the node for a while and pauses the pool's scale-down.
  node.mem.unremovableUntil = ctx.now + ctx.cfg.scaleDown.unremovableSeconds * 1000;
  pool.mem.lastDrainFailureAt = ctx.now;
  ctx.events.push({ involved: { kind: 'Node', name }, type: 'Warning', reason: 'ScaleDownFailed', message: reason });
}
