import type { Ctx, NodeCtx, PoolCtx } from './context.js';
import { plannedDesired, setNodeVerdict } from './context.js';
import { startDrain } from './drain.js';
import { ANNOTATION, TAINT } from './names.js';
import { gpuTotals } from './ordering.js';
import { checkPlacement } from './placement.js';
import { movablePods } from './pods.js';
import { requestRemoval } from './removal.js';
import { pdbUsage, podBlocker } from './removability.js';
import type { NodeVerdict, PodInfo } from './types.js';
import { knownUtil, unneeded, usedSlots } from './unneeded.js';

interface Candidate {
  node: NodeCtx;
  pool: PoolCtx;
  used: number;
  pods: PodInfo[];
  empty: boolean;
  /** Why it is unneeded, to prefix every later verdict. */
  why: string;
}

/**
 * Scale-down (§4.6). Every managed node's unneeded timer is kept up to date; nodes unneeded
 * for long enough that pass every safety rule become victims — empty ones in bulk, then at
 * most one non-empty drain at a time, on-demand before spot before reserved overflow.
 */
export function scaleDown(ctx: Ctx): void {
  const candidates: Candidate[] = [];
  for (const node of ctx.nodes) {
    const c = assess(ctx, node);
    if (c) candidates.push(c);
  }
  if (!ctx.cfg.scaleDown.enabled) {
    for (const c of candidates) setNodeVerdict(ctx, c.node, 'blocked', 'scale-down disabled by configuration');
    return;
  }
  candidates.sort(compareVictims(ctx));
  removeEmpty(ctx, candidates.filter((c) => c.empty));
  drainOne(ctx, candidates.filter((c) => !c.empty));
}

/** Timers and per-node rules; returns the node when it may be considered as a victim. */
function assess(ctx: Ctx, node: NodeCtx): Candidate | undefined {
  const pool = node.pool;
  if (!pool || node.removing || node.draining || node.kept || node.interrupted || node.info.interruption) return undefined;
  if (node.gpuNotReady) return notCandidate(ctx, node, 'upcoming', 'GPUs not allocatable yet (device plugin starting)');
  if (!node.info.ready || node.info.gpuAllocatable === 0) return notCandidate(ctx, node, 'blocked', 'not ready');
  const used = usedSlots(node);
  const state = unneeded(node, used, ctx.cfg);
  if (!state.unneeded) {
    node.mem.unneededSince = undefined;
    return notCandidate(ctx, node, 'in-use', state.why);
  }
  node.mem.unneededSince ??= ctx.now;
  const blocker = timerBlocker(ctx, node) ?? nodeBlocker(ctx, node, pool);
  if (blocker) return notCandidate(ctx, node, blocker.status, `${state.why}; ${blocker.why}`);
  const pods = movablePods(node);
  setNodeVerdict(ctx, node, 'unneeded', `${state.why}; candidate for removal`);
  return { node, pool, used, pods, empty: pods.length === 0, why: state.why };
}

function notCandidate(ctx: Ctx, node: NodeCtx, status: NodeVerdict['status'], why: string): undefined {
  setNodeVerdict(ctx, node, status, why);
  return undefined;
}

type Blocker = { status: 'unneeded' | 'blocked'; why: string };

function timerBlocker(ctx: Ctx, node: NodeCtx): Blocker | undefined {
  const needMs = ctx.cfg.scaleDown.unneededSeconds * 1000;
  const forMs = ctx.now - node.mem.unneededSince!;
  if (forMs < needMs) return { status: 'unneeded', why: `unneeded for ${Math.round(forMs / 1000)}s of ${ctx.cfg.scaleDown.unneededSeconds}s` };
  return undefined;
}

function nodeBlocker(ctx: Ctx, node: NodeCtx, pool: PoolCtx): Blocker | undefined {
  const { scaleDown } = ctx.cfg;
  const blocked = (why: string): Blocker => ({ status: 'blocked', why });
  const minAge = pool.cfg.minNodeAgeSeconds ?? scaleDown.minNodeAgeSeconds;
  if (ctx.now - node.info.createdAt < minAge * 1000) return blocked(`younger than ${minAge}s`);
  const ann = node.info.annotations;
  if (ann[ANNOTATION.scaleDownDisabled] === 'true' || ann[ANNOTATION.caScaleDownDisabled] === 'true') return blocked('scale-down disabled by annotation');
  if (node.mem.unremovableUntil !== undefined && ctx.now < node.mem.unremovableUntil) return blocked('recent drain failure: unremovable for a while');
  if (node.info.unschedulable && !node.info.taints.some((t) => t.key === TAINT.draining)) return blocked('cordoned by someone else');
  if (pool.newNodes > 0) return blocked('its pool scales up in this tick');
  const since = (t: number | undefined) => (t === undefined ? Number.POSITIVE_INFINITY : ctx.now - t);
  if (since(pool.mem.lastScaleUpAt) < scaleDown.delayAfterAddSeconds * 1000) return blocked(`pool scaled up less than ${scaleDown.delayAfterAddSeconds}s ago`);
  if (since(pool.mem.lastDrainFailureAt) < scaleDown.delayAfterFailureSeconds * 1000) return blocked(`a drain in the pool failed less than ${scaleDown.delayAfterFailureSeconds}s ago`);
  return undefined;
}

const TIER_REMOVAL_ORDER = { onDemand: 0, spot: 1, reserved: 2 } as const;

/** On-demand before spot before reserved overflow; dearer GPUs first; then the least disruptive. */
function compareVictims(ctx: Ctx): (a: Candidate, b: Candidate) => number {
  const price = (c: Candidate) => c.pool.cfg.pricePerHour / c.pool.cfg.gpusPerNode;
  const maxPrio = (c: Candidate) => c.pods.reduce((m, p) => Math.max(m, p.priority), Number.NEGATIVE_INFINITY);
  const idle = (c: Candidate) => knownUtil(c.node, ctx.cfg) ?? 2;
  return (a, b) =>
    Number(b.empty) - Number(a.empty) ||
    TIER_REMOVAL_ORDER[a.pool.tier] - TIER_REMOVAL_ORDER[b.pool.tier] ||
    price(b) - price(a) ||
    a.used - b.used ||
    a.pods.length - b.pods.length ||
    maxPrio(a) - maxPrio(b) ||
    idle(a) - idle(b) ||
    (a.node.info.name < b.node.info.name ? -1 : 1);
}

/** Floor (min, commitment), reverse spot-share guard and pre-warm floor. */
function poolGuard(ctx: Ctx, c: Candidate): string | undefined {
  const p = c.pool;
  if (plannedDesired(p) - p.draining - 1 < p.floor) {
    return `pool ${p.name} at its floor (${p.floor}${p.cfg.commitment ? `, commitment ${p.cfg.commitment}` : ''})`;
  }
  if (p.tier !== 'spot') {
    const { spot, total } = gpuTotals(ctx);
    const rest = total - p.cfg.gpusPerNode;
    if (spot > 0 && (rest <= 0 || spot / rest > ctx.spotMaxShare + 1e-12)) {
      return `removing it would push the spot share to ${rest > 0 ? (spot / rest).toFixed(3) : '1'} > ${ctx.spotMaxShare.toFixed(3)}`;
    }
  }
  for (const t of ctx.prewarm) {
    if (!t.pools.includes(p.name)) continue;
    const slots = t.pools.reduce((s, name) => {
      const q = ctx.poolByName.get(name);
      return q ? s + Math.max(0, plannedDesired(q) - q.interrupted - q.draining) * q.slots : s;
    }, 0);
    if (slots - p.slots < t.gpus) return `pre-warm floor for ${t.className} (${t.gpus} GPUs until ${new Date(t.until).toISOString()})`;
  }
  return undefined;
}

function removeEmpty(ctx: Ctx, empties: readonly Candidate[]): void {
  let removed = 0;
  for (const c of empties) {
    if (removed >= ctx.cfg.scaleDown.maxEmptyBulk) {
      setNodeVerdict(ctx, c.node, 'unneeded', `${c.why}; waits for the next bulk (max ${ctx.cfg.scaleDown.maxEmptyBulk} per tick)`);
      continue;
    }
    const guard = poolGuard(ctx, c);
    if (guard) {
      setNodeVerdict(ctx, c.node, 'blocked', `${c.why}; ${guard}`);
      continue;
    }
    leaveBins(c);
    const name = c.node.info.name;
    const reason = `empty for ${ctx.cfg.scaleDown.unneededSeconds}s or more`;
    ctx.actions.push({ kind: 'taint', node: name, taint: { key: TAINT.draining, value: String(Math.floor(ctx.now / 1000)), effect: 'NoSchedule' }, reason });
    ctx.actions.push({ kind: 'cordon', node: name, reason });
    requestRemoval(ctx, c.node, reason);
    removed++;
  }
}

function drainOne(ctx: Ctx, victims: readonly Candidate[]): void {
  const { scaleDown } = ctx.cfg;
  const pdbUsed = new Map<string, number>();
  const receivers = new Set<string>();
  for (const c of victims) {
    const blocker = drainBlocker(ctx, c, receivers, pdbUsed);
    if (blocker) {
      setNodeVerdict(ctx, c.node, 'blocked', `${c.why}; ${blocker}`);
      continue;
    }
    const placement = checkPlacement(ctx, c.node, c.pods);
    if (!placement.ok) {
      setNodeVerdict(ctx, c.node, 'blocked', `${c.why}; ${placement.why}`);
      continue;
    }
    for (const claim of placement.claims) if (claim.bin.node) receivers.add(claim.bin.node);
    for (const [key, n] of pdbUsage(ctx, c.pods, pdbUsed).usage) pdbUsed.set(key, (pdbUsed.get(key) ?? 0) + n);
    leaveBins(c);
    ctx.state.lastNonEmptyRemovalAt = ctx.now;
    startDrain(ctx, c.node, `unneeded for ${scaleDown.unneededSeconds}s or more; its pods fit elsewhere`);
  }
}

function drainBlocker(ctx: Ctx, c: Candidate, receivers: ReadonlySet<string>, pdbUsed: ReadonlyMap<string, number>): string | undefined {
  const { scaleDown } = ctx.cfg;
  const last = ctx.state.lastNonEmptyRemovalAt;
  if (last !== undefined && ctx.now - last < scaleDown.cooldownSeconds * 1000) return `scale-down cooldown: a non-empty node was removed less than ${scaleDown.cooldownSeconds}s ago`;
  const draining = ctx.pools.reduce((s, p) => s + p.draining, 0);
  if (draining >= scaleDown.maxConcurrentDrains) return `${draining} drain(s) in progress (max ${scaleDown.maxConcurrentDrains})`;
  if (c.pool.draining >= scaleDown.maxConcurrentDrainsPerPool) return `a drain is in progress in pool ${c.pool.name}`;
  if (receivers.has(c.node.info.name)) return 'takes pods of another node removed in this tick';
  const guard = poolGuard(ctx, c);
  if (guard) return guard;
  for (const pod of c.pods) {
    const why = podBlocker(ctx, pod);
    if (why) return why;
  }
  return pdbUsage(ctx, c.pods, pdbUsed).blocker;
}

/** A victim's free slots are no longer a place for anyone else's pods. */
function leaveBins(c: Candidate): void {
  const bin = c.node.bin;
  if (!bin) return;
  const bins = c.pool.existingBins;
  const i = bins.indexOf(bin);
  if (i >= 0) bins.splice(i, 1);
}
