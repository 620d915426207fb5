import type { NodeScalerConfig } from './config.js';
import type { NodeCtx } from './context.js';

/** GPU slots in use on the node, including slots promised to pending pods this tick. */
export function usedSlots(node: NodeCtx): number {
  return node.bin ? node.info.gpuAllocatable - node.bin.free : node.info.gpuAllocated;
}

/** DCGM data counts only when present, finite and fresh; anything else is unknown. */
export function knownUtil(node: NodeCtx, cfg: NodeScalerConfig): number | undefined {
  const d = node.info.dcgm;
  if (!d || !Number.isFinite(d.util) || !Number.isFinite(d.ageSeconds)) return undefined;
  return d.ageSeconds <= cfg.dcgm.maxAgeSeconds ? d.util : undefined;
}

const EPS = 1e-9;

/**
 * §4.6 rule 3: a node is unneeded when no GPU is allocated, or when allocation is at most
 * θ_alloc *and* known DCGM utilisation is at most θ_util. Unknown utilisation never makes an
 * allocated node unneeded: a wrong "idle" would evict running work.
 */
export function unneeded(node: NodeCtx, used: number, cfg: NodeScalerConfig): { unneeded: boolean; why: string } {
  if (used === 0) return { unneeded: true, why: 'no GPU allocated' };
  const { allocationThreshold, utilizationThreshold } = cfg.scaleDown;
  const ratio = used / node.info.gpuAllocatable;
  if (ratio > allocationThreshold + EPS) return { unneeded: false, why: `GPU allocation ${used}/${node.info.gpuAllocatable} > ${allocationThreshold}` };
  const util = knownUtil(node, cfg);
  if (util === undefined) return { unneeded: false, why: 'DCGM utilisation unknown (missing or stale): never scaled down on unknown data' };
  if (util > utilizationThreshold + EPS) return { unneeded: false, why: `DCGM utilisation ${util.toFixed(3)} > ${utilizationThreshold}` };
  return { unneeded: true, why: `allocation ${used}/${node.info.gpuAllocatable}, DCGM ${util.toFixed(3)}` };
}
