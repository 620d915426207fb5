import { ALL_TIERS } from './compatibility.js';
import type { Allocator } from './allocator.js';
import type { Ctx, PoolCtx } from './context.js';
import type { Demand } from './demand.js';
import { knownUtil } from './unneeded.js';

/**
 * Utilisation headroom (§4.5, optional): for shared-GPU pools (and every pool when
 * headroom.enabled), when the allocation ratio of a GPU class stays above θ_up for W_up with
 * nothing pending, add ceil((ΣU/θ_target − ΣA − in-flight) / g) nodes. On shared pools a known
 * DCGM mean above the saturation level also counts; exclusive pools never grow on DCGM alone.
 */
export function addHeadroom(ctx: Ctx, alloc: Allocator, anyPending: boolean): void {
  const { headroom } = ctx.cfg;
  for (const [cls, pools] of headroomClasses(ctx)) {
    const m = classMeasure(ctx, pools);
    const shared = pools.some((p) => p.cfg.shared);
    const saturated = shared && m.dcgm !== undefined && m.dcgm > headroom.dcgmSaturation;
    const high = (m.allocatable > 0 && m.used / m.allocatable > headroom.upThreshold) || saturated;
    if (!high) {
      delete ctx.state.headroomHighSince[cls];
      continue;
    }
    const since = (ctx.state.headroomHighSince[cls] ??= ctx.now);
    if (anyPending || ctx.now - since < headroom.windowSeconds * 1000) continue;
    let need = Math.ceil(m.used / headroom.targetRatio - m.allocatable - m.inflight);
    if (need <= 0 && saturated && m.inflight === 0) need = 1;
    addSlots(ctx, alloc, pools, need, `headroom for ${cls}`);
  }
}

/** Pools sharing GPU model and resource that headroom applies to. */
function headroomClasses(ctx: Ctx): Map<string, PoolCtx[]> {
  const out = new Map<string, PoolCtx[]>();
  for (const p of ctx.pools) {
    if (!p.cfg.shared && !ctx.cfg.headroom.enabled) continue;
    const cls = `${p.cfg.gpuModel}/${p.cfg.gpuResource}`;
    const list = out.get(cls);
    if (list) list.push(p);
    else out.set(cls, [p]);
  }
  return out;
}

function classMeasure(ctx: Ctx, pools: readonly PoolCtx[]): { used: number; allocatable: number; inflight: number; dcgm?: number } {
  let used = 0;
  let allocatable = 0;
  let utilSum = 0;
  let utilN = 0;
  const members = new Set(pools);
  for (const n of ctx.nodes) {
    if (!n.pool || !members.has(n.pool) || !n.usable) continue;
    used += n.info.gpuAllocatable - (n.bin?.free ?? 0);
    allocatable += n.info.gpuAllocatable;
    const u = knownUtil(n, ctx.cfg);
    if (u !== undefined) {
      utilSum += u;
      utilN++;
    }
  }
  const inflight = pools.reduce((s, p) => s + p.inflightBins.length * p.slots + p.newNodes * p.slots, 0);
  return { used, allocatable, inflight, dcgm: utilN > 0 ? utilSum / utilN : undefined };
}

/** Adds whole nodes to the best pools of a class until `slots` are covered. */
export function addSlots(ctx: Ctx, alloc: Allocator, pools: PoolCtx[], slots: number, cause: string): number {
  let added = 0;
  let left = slots;
  while (left > 0) {
    const d: Demand = { key: cause, priority: 0, amount: 1, resource: pools[0]!.cfg.gpuResource, since: ctx.now, pools, tiers: ALL_TIERS, band: 'medium' };
    const r = alloc.place(d, true);
    if (!r.ok) {
      pools[0]!.reasons.push(`${cause}: no pool can take another node (${r.reasons.map((x) => `${x.pool}: ${x.why}`).join('; ')})`);
      break;
    }
    // The whole node is the headroom, not the one slot the placement asked for.
    r.placement.bin.free = 0;
    left -= r.placement.pool.slots;
    added++;
  }
  return added;
}
