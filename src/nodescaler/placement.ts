import { podBand } from './bands.js';
import type { Bin, Ctx, NodeCtx } from './context.js';
import { compatiblePools, podTiers } from './pool-match.js';
import { gpuDemand } from './resources.js';
import type { PodInfo } from './types.js';

export type PlacementCheck = { ok: true; claims: Array<{ bin: Bin; amount: number }> } | { ok: false; why: string };

/**
 * Does every GPU pod of a removal candidate fit on another usable node (§4.6 rule 7, "a
 * placement exists")? First-fit decreasing over free slots of compatible pools, skipping the
 * candidate itself. Claims are applied so two victims never count the same free slot; on
 * failure they are rolled back. Pods without GPUs are assumed to fit (CPU is not modelled).
 */
export function checkPlacement(ctx: Ctx, node: NodeCtx, pods: readonly PodInfo[]): PlacementCheck {
  const gpuPods = pods
    .map((pod) => ({ pod, demand: gpuDemand(pod.requests) }))
    .filter((x) => x.demand.ok)
    .sort((a, b) => (b.demand.ok && a.demand.ok ? b.demand.amount - a.demand.amount : 0));
  const claims: Array<{ bin: Bin; amount: number }> = [];
  for (const { pod, demand } of gpuPods) {
    if (!demand.ok) continue;
    const bin = findBin(ctx, node, pod, demand.resource, demand.amount);
    if (!bin) {
      for (const c of claims) c.bin.free += c.amount;
      return { ok: false, why: `no other node has ${demand.amount} free ${demand.resource} for ${pod.namespace}/${pod.name}` };
    }
    bin.free -= demand.amount;
    claims.push({ bin, amount: demand.amount });
  }
  return { ok: true, claims };
}

function findBin(ctx: Ctx, node: NodeCtx, pod: PodInfo, resource: string, amount: number): Bin | undefined {
  const tiers = podTiers(ctx, pod, podBand(pod, ctx.cfg) === 'high');
  for (const pool of compatiblePools(ctx, pod, resource)) {
    if (!tiers.includes(pool.tier)) continue;
    for (const bin of pool.existingBins) if (bin.node !== node.info.name && bin.free >= amount) return bin;
  }
  return undefined;
}
