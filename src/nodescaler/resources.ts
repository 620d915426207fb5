import { GPU_RESOURCE, MIG_PREFIX } from './names.js';

/** What a pod asks of GPU pools: one extended resource and how many units of it. */
export type GpuDemand = { ok: true; resource: string; amount: number } | { ok: false; reason: string };

/** True for `nvidia.com/gpu` and MIG profiles (`nvidia.com/mig-1g.10gb`, …). */
export function isGpuResource(name: string): boolean {
  return name === GPU_RESOURCE || name.startsWith(MIG_PREFIX);
}

/** Total GPU units the pod requests, any kind (0 = not a GPU pod). */
export function gpuUnits(requests: Readonly<Record<string, number>>): number {
  let total = 0;
  for (const name in requests) if (isGpuResource(name)) total += requests[name] ?? 0;
  return total;
}

/**
 * The single GPU resource a pod requests. A pool offers one resource kind per node (a MIG
 * "single" layout, whole GPUs, or time-sliced replicas), so a pod that mixes kinds cannot be
 * placed by slot arithmetic and is reported rather than guessed at.
 */
export function gpuDemand(requests: Readonly<Record<string, number>>): GpuDemand {
  let found: { resource: string; amount: number } | undefined;
  for (const name in requests) {
    const amount = requests[name] ?? 0;
    if (!isGpuResource(name) || amount <= 0) continue;
    if (found) return { ok: false, reason: `requests several GPU resource kinds (${found.resource}, ${name})` };
    found = { resource: name, amount };
  }
  if (!found) return { ok: false, reason: 'requests no GPU' };
  if (!Number.isInteger(found.amount)) return { ok: false, reason: `${found.resource} request ${found.amount} is not an integer` };
  return { ok: true, ...found };
}
