import { Allocator } from './allocator.js';
import { updateAvailability } from './availability.js';
import { clampToMax, raiseToFloor } from './bounds.js';
import { absorb, buildInflightBins } from './capacity.js';
import type { Bin, Ctx, PoolCtx } from './context.js';
import { buildContext } from './context.js';
import { compareDemand, type Demand } from './demand.js';
import { advanceDrains, reclaimDrained } from './drain.js';
import { addHeadroom } from './headroom.js';
import { handleInterruptions, noteInterruptions } from './interruption.js';
import { updateInterruptionFeedback } from './interruption-rate.js';
import { pendingDemand, verdict } from './pending.js';
import { buildPlan } from './plan.js';
import { applyPrewarm } from './prewarm.js';
import { scaleDown } from './scale-down.js';
import type { Plan, Snapshot } from './types.js';

/**
 * One tick of the node-scaler: a pure, deterministic function of the snapshot (no clock, no
 * I/O, no randomness; input order does not matter). The order of the steps is the spec's:
 * interruptions and availability first, so a pool that just failed or was interrupted is
 * already out of the running when pending pods are placed in the same tick.
 */
export function decide(snapshot: Snapshot): Plan {
  const ctx = buildContext(snapshot);
  const interruptedPools = noteInterruptions(ctx);
  updateInterruptionFeedback(ctx);
  updateAvailability(ctx, interruptedPools);
  clampToMax(ctx);
  buildInflightBins(ctx);
  const displaced = handleInterruptions(ctx);
  const pending = pendingDemand(ctx);
  const demands = [...pending, ...displaced];
  const left = absorb(demands, snapshot.state.claims ?? {}, (d, kind, pool, bin) => onAbsorbed(ctx, d, kind, pool, bin)).sort(compareDemand);
  const alloc = new Allocator(ctx);
  for (const d of left) placeDemand(ctx, alloc, d);
  applyPrewarm(ctx, alloc);
  addHeadroom(ctx, alloc, pending.length > 0);
  reclaimDrained(ctx);
  raiseToFloor(ctx, alloc);
  advanceDrains(ctx);
  scaleDown(ctx);
  return buildPlan(ctx, pending.length);
}

function onAbsorbed(ctx: Ctx, d: Demand, kind: 'fits-existing' | 'absorbed', pool: PoolCtx, bin: Bin): void {
  if (kind === 'absorbed') ctx.claims.set(d.key, pool.name);
  if (!d.pod) return;
  const reason = kind === 'fits-existing' ? `free ${d.resource} on ${bin.node}: the scheduler should bind it` : `waiting for capacity already requested in pool ${pool.name}`;
  verdict(ctx, d.pod, d.amount, kind, reason, { pool: pool.name, ...(bin.node ? { node: bin.node } : {}) });
}

function placeDemand(ctx: Ctx, alloc: Allocator, d: Demand): void {
  const r = alloc.place(d);
  if (r.ok) {
    const { pool, newNode, skipped, bin } = r.placement;
    ctx.claims.set(d.key, pool.name);
    const how = newNode ? 'new node' : 'node opened in this tick';
    if (d.pod) {
      const v = verdict(ctx, d.pod, d.amount, 'scale-up', `${how} in ${pool.tier} pool ${pool.name}`, { pool: pool.name, ...(skipped.length ? { skipped } : {}) });
      const list = ctx.binPods.get(bin);
      if (list) list.push(v);
      else ctx.binPods.set(bin, [v]);
    }
    if (d.key.startsWith('at-risk:')) ctx.nodeByName.get(d.fromNode!)!.mem.atRiskReplacement = pool.name;
    return;
  }
  // The first reason names the best pool and why it could not take the pod; `skipped` has the rest.
  const first = r.reasons[0];
  const why = first ? `${first.pool}: ${first.why}${r.reasons.length > 1 ? ` (+${r.reasons.length - 1} more)` : ''}` : 'no compatible pool in an allowed tier';
  if (d.pod && r.deferred) verdict(ctx, d.pod, d.amount, 'deferred', `waits for the next tick (${why})`, { skipped: r.reasons });
  else if (d.pod) verdict(ctx, d.pod, d.amount, 'unsatisfiable', `no pool can take it now (${why})`, { skipped: r.reasons });
  else if (d.fromNode) {
    ctx.events.push({ involved: { kind: 'Node', name: d.fromNode }, type: 'Warning', reason: 'NoReplacement', message: `no replacement capacity for ${d.amount} ${d.resource}: ${why}` });
  }
}
