import type { Ctx, NodeCtx, PoolCtx } from './context.js';
import { plannedDesired, setNodeVerdict } from './context.js';
import { gpuTotals } from './ordering.js';
import type { Plan, PlanSummary, PodVerdict, PoolPlan } from './types.js';

/** Closes the tick: records requests made, fills default verdicts and assembles the plan. */
export function buildPlan(ctx: Ctx, eligible: number): Plan {
  for (const pool of ctx.pools) recordRequests(ctx, pool);
  compactNodeMemory(ctx);
  // Insertion order is already deterministic (sorted inputs, fixed processing order).
  ctx.state.claims = Object.fromEntries(ctx.claims);
  for (const node of ctx.nodes) defaultVerdict(ctx, node);
  const pods = [...ctx.podVerdicts].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  podEvents(ctx, pods);
  return {
    at: ctx.now,
    dryRun: ctx.cfg.dryRun,
    pools: ctx.pools.map(poolPlan),
    nodeActions: ctx.actions,
    pods,
    nodes: ctx.nodes.map((n) => ctx.nodeVerdicts.get(n.info.name)!),
    events: ctx.events,
    summary: summary(ctx, pods, eligible),
    state: ctx.state,
  };
}

function recordRequests(ctx: Ctx, pool: PoolCtx): void {
  if (pool.newNodes === 0) return;
  pool.mem.requests.push({ nodes: pool.newNodes, at: ctx.now });
  pool.mem.lastScaleUpAt = ctx.now;
}

/** Only what a node's memory actually holds is kept, so the state stays small and JSON-stable. */
function compactNodeMemory(ctx: Ctx): void {
  const nodes = ctx.state.nodes;
  for (const name of Object.keys(nodes)) {
    const mem = nodes[name]! as Record<string, unknown>;
    for (const k of Object.keys(mem)) if (mem[k] === undefined) delete mem[k];
    if (Object.keys(mem).length === 0) delete nodes[name];
  }
}

function poolPlan(pool: PoolCtx): PoolPlan {
  const reasons = [...pool.causes].filter(([, n]) => n > 0).map(([cause, n]) => `+${n} node(s): ${cause}`);
  if (pool.removals > 0) reasons.push(`-${pool.removals} node(s) removed`);
  reasons.push(...pool.reasons);
  return {
    name: pool.name,
    tier: pool.tier,
    current: pool.current,
    desired: plannedDesired(pool),
    newNodes: pool.newNodes,
    removals: pool.removals,
    availability: pool.mem.availability.state,
    reasons,
  };
}

function defaultVerdict(ctx: Ctx, node: NodeCtx): void {
  if (ctx.nodeVerdicts.has(node.info.name)) return;
  if (!node.pool) setNodeVerdict(ctx, node, 'unmanaged', node.info.pool ? `pool ${node.info.pool} is not configured` : 'no pool');
  else if (node.removing) setNodeVerdict(ctx, node, 'removing', 'removal requested');
  else if (node.interrupted) setNodeVerdict(ctx, node, 'interrupted', 'interruption in progress');
  else setNodeVerdict(ctx, node, 'in-use', '');
}

function podEvents(ctx: Ctx, pods: readonly PodVerdict[]): void {
  for (const v of pods) {
    const involved = { kind: 'Pod' as const, name: v.name, namespace: v.namespace };
    if (v.status === 'scale-up') ctx.events.push({ involved, type: 'Normal', reason: 'TriggeredScaleUp', message: `pool ${v.pool}: ${v.reason}` });
    else if (v.status === 'unsatisfiable') ctx.events.push({ involved, type: 'Normal', reason: 'NotTriggerScaleUp', message: v.reason });
  }
}

function summary(ctx: Ctx, pods: readonly PodVerdict[], eligible: number): PlanSummary {
  const count: Record<PodVerdict['status'], number> = { waiting: 0, ignored: 0, 'fits-existing': 0, absorbed: 0, 'scale-up': 0, deferred: 0, unsatisfiable: 0 };
  for (const p of pods) count[p.status]++;
  let used = 0;
  let allocatable = 0;
  for (const n of ctx.nodes) {
    if (!n.pool || !n.info.ready || n.info.unschedulable || n.interrupted || n.removing || n.info.gpuAllocatable === 0) continue;
    used += n.info.gpuAllocated;
    allocatable += n.info.gpuAllocatable;
  }
  const totals = gpuTotals(ctx);
  return {
    pendingGpuPods: pods.length,
    eligible,
    fitsExisting: count['fits-existing'],
    absorbed: count.absorbed,
    scaleUp: count['scale-up'],
    deferred: count.deferred,
    unsatisfiable: count.unsatisfiable,
    newNodes: ctx.pools.reduce((s, p) => s + p.newNodes, 0),
    removedNodes: ctx.pools.reduce((s, p) => s + p.removals, 0),
    drainingNodes: ctx.pools.reduce((s, p) => s + p.draining, 0),
    allocationRatio: allocatable > 0 ? used / allocatable : 0,
    spotShare: totals.total > 0 ? totals.spot / totals.total : 0,
    effectiveSpotMaxShare: ctx.spotMaxShare,
  };
}
