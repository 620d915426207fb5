import type { Ctx } from './context.js';
import { ANNOTATION } from './names.js';
import { parseShortDuration } from './eligibility.js';
import type { PodInfo } from './types.js';

/**
 * Why a pod keeps its node from being removed (§4.6 rule 7), or undefined when it may be
 * evicted. Mirrors Cluster Autoscaler's blockers and honours Karpenter's do-not-disrupt.
 */
export function podBlocker(ctx: Ctx, pod: PodInfo): string | undefined {
  const ann = pod.annotations;
  const id = `${pod.namespace}/${pod.name}`;
  if (ann[ANNOTATION.caSafeToEvict] === 'false') return `${id}: safe-to-evict is "false"`;
  const dnd = doNotDisrupt(ctx, pod);
  if (dnd) return `${id}: ${dnd}`;
  const pdbs = pod.pdbs ?? [];
  // The Eviction API refuses pods under several PDBs, whatever the annotations say.
  if (pdbs.length > 1) return `${id}: matched by more than one PodDisruptionBudget`;
  // safe-to-evict "true" is the owner's explicit consent: it lifts the remaining blockers.
  if (ann[ANNOTATION.caSafeToEvict] === 'true') return undefined;
  if (!pod.owner?.controller) return `${id}: not managed by a controller (bare pod)`;
  const local = unsafeLocalVolumes(pod);
  if (local.length > 0) return `${id}: local storage (${local.join(', ')})`;
  if (ctx.cfg.scaleDown.kubeSystemPodsNeedPdb && pod.namespace === 'kube-system' && pdbs.length === 0) return `${id}: kube-system pod without a PodDisruptionBudget`;
  return undefined;
}

function doNotDisrupt(ctx: Ctx, pod: PodInfo): string | undefined {
  const raw = pod.annotations[ANNOTATION.doNotDisrupt];
  if (raw === undefined || raw === 'false') return undefined;
  if (raw === 'true') return 'karpenter.sh/do-not-disrupt is "true"';
  // A duration protects the pod for that long after it started.
  const secs = parseShortDuration(raw);
  if (secs === undefined || pod.startedAt === undefined) return `karpenter.sh/do-not-disrupt is "${raw}"`;
  const until = pod.startedAt + secs * 1000;
  return ctx.now < until ? `karpenter.sh/do-not-disrupt for ${raw} after start` : undefined;
}

function unsafeLocalVolumes(pod: PodInfo): string[] {
  const volumes = pod.localVolumes ?? [];
  if (volumes.length === 0) return [];
  const allowed = new Set((pod.annotations[ANNOTATION.caSafeToEvictLocalVolumes] ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  return volumes.filter((v) => !allowed.has(v));
}

/**
 * PDB budgets of one node's pods against what is left this tick: each PDB must allow at least
 * as many disruptions as it has pods on the node. Returns the blocker or the usage to commit.
 */
export function pdbUsage(ctx: Ctx, pods: readonly PodInfo[], used: ReadonlyMap<string, number>): { blocker?: string; usage: Map<string, number> } {
  const usage = new Map<string, number>();
  for (const pod of pods) for (const key of pod.pdbs ?? []) usage.set(key, (usage.get(key) ?? 0) + 1);
  for (const [key, n] of usage) {
    const pdb = ctx.pdbs.get(key);
    const allowed = (pdb?.disruptionsAllowed ?? 0) - (used.get(key) ?? 0);
    if (n > allowed) return { blocker: `PodDisruptionBudget ${key} allows ${Math.max(0, allowed)} disruption(s); ${n} pod(s) on the node`, usage };
  }
  return { usage };
}
