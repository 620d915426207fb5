import type { Tier } from './config.js';
import { allowedTiers, matchesTemplate, withoutSpot } from './compatibility.js';
import type { Ctx, PoolCtx } from './context.js';
import type { PodInfo } from './types.js';

const cache = new WeakMap<Ctx, Map<string, PoolCtx[]>>();

/**
 * Pools whose nodes offer `resource` and accept the pod. Pods of one workload share their
 * constraints, so results are cached per tick by constraint signature and the same array
 * instance is returned (the allocator caches its ranked subset by identity).
 */
export function compatiblePools(ctx: Ctx, pod: PodInfo, resource: string): PoolCtx[] {
  let perTick = cache.get(ctx);
  if (!perTick) {
    perTick = new Map();
    cache.set(ctx, perTick);
  }
  const key = signature(pod, resource);
  let pools = perTick.get(key);
  if (!pools) {
    pools = ctx.pools.filter((p) => p.cfg.gpuResource === resource && (pod.compatiblePools ? pod.compatiblePools.includes(p.name) : matchesTemplate(pod, p.cfg)));
    perTick.set(key, pools);
  }
  return pools;
}

function signature(pod: PodInfo, resource: string): string {
  if (pod.compatiblePools) return `${resource}|list|${pod.compatiblePools.join(',')}`;
  if (!pod.requiredNodeAffinity && !pod.tolerations) {
    // The common case (a plain node selector) without JSON: this runs once per pending pod.
    let key = `${resource}|sel`;
    const sel = pod.nodeSelector;
    if (sel) for (const k in sel) key += `|${k}=${sel[k]}`;
    return key;
  }
  return `${resource}|${JSON.stringify([pod.nodeSelector ?? null, pod.requiredNodeAffinity ?? null, pod.tolerations ?? null])}`;
}

/** Why no pool is compatible, in words a user can act on. */
export function noPoolReason(ctx: Ctx, pod: PodInfo, resource: string): string {
  const offering = ctx.pools.filter((p) => p.cfg.gpuResource === resource);
  if (offering.length === 0) return `no pool offers ${resource}`;
  if (pod.compatiblePools) return `none of the pools the pod can use (${pod.compatiblePools.join(', ') || 'none'}) offers ${resource}`;
  return `no pool offering ${resource} matches the pod's node selector, affinity and tolerations`;
}

/** Tiers the pod may use: its annotation, minus spot for high-band pods when protected. */
export function podTiers(ctx: Ctx, pod: PodInfo, highBand: boolean): readonly Tier[] {
  const tiers = allowedTiers(pod);
  return highBand && ctx.cfg.spot.protectHighFromSpot ? withoutSpot(tiers) : tiers;
}
