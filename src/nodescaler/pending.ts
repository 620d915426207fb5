import { podBand } from './bands.js';
import type { Ctx } from './context.js';
import type { Demand } from './demand.js';
import { classifyPending } from './eligibility.js';
import { compatiblePools, noPoolReason, podTiers } from './pool-match.js';
import { gpuDemand, gpuUnits } from './resources.js';
import type { PodInfo, PodVerdict } from './types.js';

/**
 * Turns pending GPU pods into demand (§4.1). Pods that may not ask for capacity yet, or can
 * never get it from any pool, get their verdict here; the rest are returned as demand.
 */
export function pendingDemand(ctx: Ctx): Demand[] {
  const out: Demand[] = [];
  for (const pod of ctx.pending) {
    const units = gpuUnits(pod.requests);
    if (units <= 0) continue;
    const demand = gpuDemand(pod.requests);
    if (!demand.ok) {
      verdict(ctx, pod, units, 'unsatisfiable', demand.reason);
      continue;
    }
    const eligibility = classifyPending(pod, ctx.now, ctx.cfg);
    if (eligibility.status !== 'eligible') {
      verdict(ctx, pod, units, eligibility.status, eligibility.reason);
      continue;
    }
    const pools = compatiblePools(ctx, pod, demand.resource);
    if (pools.length === 0) {
      verdict(ctx, pod, units, 'unsatisfiable', noPoolReason(ctx, pod, demand.resource));
      continue;
    }
    const band = podBand(pod, ctx.cfg);
    const tiers = podTiers(ctx, pod, band === 'high');
    out.push({ key: pod.uid, pod, priority: pod.priority, amount: demand.amount, resource: demand.resource, since: pod.unschedulableSince ?? ctx.now, pools, tiers, band });
  }
  return out;
}

export function verdict(ctx: Ctx, pod: PodInfo, gpus: number, status: PodVerdict['status'], reason: string, extra: Partial<PodVerdict> = {}): PodVerdict {
  const v: PodVerdict = { uid: pod.uid, namespace: pod.namespace, name: pod.name, gpus, status, reason, ...extra };
  ctx.podVerdicts.push(v);
  return v;
}
