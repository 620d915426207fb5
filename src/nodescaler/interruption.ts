import { ALL_TIERS } from './compatibility.js';
import { BAND_ORDER, podBand } from './bands.js';
import type { Ctx, NodeCtx } from './context.js';
import { hasTaint, plannedDesired, setNodeVerdict } from './context.js';
import type { Demand } from './demand.js';
import { TAINT } from './names.js';
import { compatiblePools, podTiers } from './pool-match.js';
import { movablePods, podGraceSeconds, podRef } from './pods.js';
import { requestRemoval } from './removal.js';
import { gpuDemand } from './resources.js';
import type { Band, Millis, PodInfo } from './types.js';

/**
 * Interruption handling (§4.7). A terminate or maintenance notice makes the node unusable at
 * once (taint + cordon), asks for replacement capacity elsewhere *before* draining (the node's
 * GPU pods become demand with the node's pool excluded), evicts in priority bands so the most
 * important pods run longest and get the longest grace, and force-deletes what is left just
 * before the deadline. A rebalance recommendation only marks the node at risk and pre-provisions
 * one replacement.
 */

/** Records first sightings; returns the spot pools interrupted for the first time this tick. */
export function noteInterruptions(ctx: Ctx): Set<string> {
  const pools = new Set<string>();
  for (const node of ctx.nodes) {
    const signal = node.info.interruption;
    if (!signal || !node.pool) continue;
    if (signal.kind === 'rebalance') {
      node.mem.atRiskSince ??= ctx.now;
      continue;
    }
    if (node.mem.interruptionSeenAt !== undefined) continue;
    node.mem.interruptionSeenAt = ctx.now;
    if (signal.kind === 'terminate' && node.pool.tier === 'spot') {
      pools.add(node.pool.name);
      node.pool.mem.interruptions.push(ctx.now);
    }
    ctx.events.push({
      involved: { kind: 'Node', name: node.info.name },
      type: 'Warning',
      reason: signal.kind === 'terminate' ? 'SpotInterruption' : 'ScheduledMaintenance',
      message: `${signal.kind} notice from ${signal.source}; deadline ${new Date(deadline(ctx, node)).toISOString()}`,
    });
  }
  return pools;
}

/** When the node goes away: the notice's own deadline, else first sighting + the provider's notice. */
export function deadline(ctx: Ctx, node: NodeCtx): Millis {
  const signal = node.info.interruption!;
  if (signal.deadline !== undefined) return signal.deadline;
  const t0 = node.mem.interruptionSeenAt ?? ctx.now;
  return t0 + ctx.cfg.interruption.defaultNoticeSeconds[signal.provider] * 1000;
}

/** Actions for interrupted nodes; returns the displaced demand to place elsewhere. */
export function handleInterruptions(ctx: Ctx): Demand[] {
  const demands: Demand[] = [];
  for (const node of ctx.nodes) {
    const signal = node.info.interruption;
    if (!signal || !node.pool || node.mem.removeRequestedAt !== undefined) continue;
    if (signal.kind === 'rebalance') demands.push(...handleAtRisk(ctx, node));
    else demands.push(...handleTerminate(ctx, node));
  }
  return demands;
}

function handleTerminate(ctx: Ctx, node: NodeCtx): Demand[] {
  const d = deadline(ctx, node);
  const name = node.info.name;
  if (!hasTaint(node.info, TAINT.interrupted)) {
    ctx.actions.push({ kind: 'taint', node: name, taint: { key: TAINT.interrupted, value: String(Math.floor(d / 1000)), effect: 'NoSchedule' }, reason: 'interruption notice' });
  }
  if (!node.info.unschedulable) ctx.actions.push({ kind: 'cordon', node: name, reason: 'interruption notice' });
  const pods = movablePods(node);
  if (pods.length === 0 || ctx.now >= d) {
    const pool = node.pool!;
    // Tell the engine which machine goes, so it is not re-created in the same pool — unless the
    // pool is at its floor, where re-creating it in place is exactly what the floor asks for.
    if (plannedDesired(pool) - 1 >= pool.floor) requestRemoval(ctx, node, pods.length === 0 ? 'interrupted node is empty' : 'interruption deadline passed');
    else setNodeVerdict(ctx, node, 'interrupted', `pool ${pool.name} is at its floor (${pool.floor}): the engine replaces the node in place`);
    return [];
  }
  const mode = drainMode(ctx, node);
  if (mode === 'drain') scheduleEvictions(ctx, node, pods, d);
  setNodeVerdict(ctx, node, 'interrupted', `${node.info.interruption!.kind} by ${new Date(d).toISOString()}; ${mode === 'drain' ? 'banded eviction' : 'platform drains (observe)'}`);
  return displaced(ctx, node, pods);
}

function drainMode(ctx: Ctx, node: NodeCtx): 'drain' | 'observe' {
  const signal = node.info.interruption!;
  if (signal.kind === 'maintenance') return 'drain';
  if (ctx.cfg.interruption.observeProviders.includes(signal.provider)) return 'observe';
  return ctx.cfg.interruption.mode;
}

/** GPU pods of a leaving node, as demand that may not return to the node's own pool. */
function displaced(ctx: Ctx, node: NodeCtx, pods: readonly PodInfo[]): Demand[] {
  const out: Demand[] = [];
  const t0 = node.mem.interruptionSeenAt ?? ctx.now;
  for (const pod of pods) {
    if (pod.terminating) continue;
    const demand = gpuDemand(pod.requests);
    if (!demand.ok) continue;
    const pools = compatiblePools(ctx, pod, demand.resource).filter((p) => p !== node.pool);
    const band = podBand(pod, ctx.cfg);
    out.push({ key: `displaced:${pod.uid}`, fromNode: node.info.name, priority: pod.priority, amount: demand.amount, resource: demand.resource, since: t0, pools, tiers: podTiers(ctx, pod, band === 'high'), band });
  }
  return out;
}

/**
 * Band budget: the window W = D − T0 − ε is split by band weight; band k nominally starts at
 * S_k and ends at S_k + G_k, starts at once when every lower band is gone, and each pod gets
 * min(own grace, time left in its band). The executor schedules each eviction at `notBefore`.
 */
function scheduleEvictions(ctx: Ctx, node: NodeCtx, pods: readonly PodInfo[], d: Millis): void {
  const { interruption } = ctx.cfg;
  const t0 = node.mem.interruptionSeenAt ?? ctx.now;
  const eps = interruption.safetyMarginSeconds * 1000;
  const window = Math.max(0, d - t0 - eps);
  const byBand = groupByBand(ctx, pods);
  const weights = BAND_ORDER.map((b) => interruption.bandWeights[b]);
  const sum = weights.reduce((a, b) => a + b, 0);
  let start = t0;
  let lowerPresent = false;
  BAND_ORDER.forEach((band, k) => {
    const slice = sum > 0 ? (window * weights[k]!) / sum : 0;
    const end = start + slice;
    const members = byBand.get(band) ?? [];
    const notBefore = lowerPresent ? Math.max(start, ctx.now) : ctx.now;
    for (const pod of members) {
      if (pod.terminating) continue;
      const grace = Math.min(podGraceSeconds(pod), Math.max(1, Math.floor((end - notBefore) / 1000)));
      ctx.actions.push({ kind: 'evict', node: node.info.name, pod: podRef(pod), uid: pod.uid, graceSeconds: grace, notBefore, band, reason: `interruption: band ${band}` });
    }
    if (members.length > 0) lowerPresent = true;
    start = end;
  });
  if (interruption.respectPdbUntilDeadline) return;
  const at = d - eps;
  const grace = Math.max(1, Math.floor((d - Math.max(ctx.now, at)) / 1000) - 2);
  for (const pod of pods) {
    ctx.actions.push({ kind: 'forceDelete', node: node.info.name, pod: podRef(pod), uid: pod.uid, graceSeconds: grace, at, reason: 'interruption deadline: the node goes away regardless of PDBs' });
  }
}

export function groupByBand(ctx: Ctx, pods: readonly PodInfo[]): Map<Band, PodInfo[]> {
  const out = new Map<Band, PodInfo[]>();
  for (const pod of pods) {
    const band = podBand(pod, ctx.cfg);
    const list = out.get(band);
    if (list) list.push(pod);
    else out.set(band, [pod]);
  }
  return out;
}

/**
 * Rebalance recommendation: "at risk", no deadline. A PreferNoSchedule taint (not a cordon, so
 * the node is never stranded) and one pre-provisioned replacement elsewhere; after atRiskTtl
 * without a terminate notice the taint goes and normal scale-down reclaims the spare node.
 */
function handleAtRisk(ctx: Ctx, node: NodeCtx): Demand[] {
  const name = node.info.name;
  const since = node.mem.atRiskSince ?? ctx.now;
  if (ctx.now - since >= ctx.cfg.interruption.atRiskTtlSeconds * 1000) {
    if (hasTaint(node.info, TAINT.atRisk)) ctx.actions.push({ kind: 'untaint', node: name, key: TAINT.atRisk, reason: `no terminate notice within ${ctx.cfg.interruption.atRiskTtlSeconds}s` });
    return [];
  }
  if (!hasTaint(node.info, TAINT.atRisk)) {
    ctx.actions.push({ kind: 'taint', node: name, taint: { key: TAINT.atRisk, value: 'true', effect: 'PreferNoSchedule' }, reason: 'rebalance recommendation' });
  }
  setNodeVerdict(ctx, node, 'at-risk', 'rebalance recommendation');
  if (node.mem.atRiskReplacement !== undefined || node.info.gpuAllocated === 0) return [];
  const pool = node.pool!;
  const pools = ctx.pools.filter((p) => p !== pool && p.cfg.gpuResource === pool.cfg.gpuResource && p.cfg.gpuModel === pool.cfg.gpuModel);
  const amount = Math.min(node.info.gpuAllocated, pool.slots);
  return [{ key: `at-risk:${name}`, fromNode: name, priority: 0, amount, resource: pool.cfg.gpuResource, since, pools, tiers: ALL_TIERS, band: 'medium' }];
}
