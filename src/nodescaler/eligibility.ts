import type { NodeScalerConfig } from './config.js';
import { ANNOTATION } from './names.js';
import type { Millis, PodInfo } from './types.js';

/** Whether a pending GPU pod may ask for capacity this tick (§4.1 eligibility rules). */
export type Eligibility = { status: 'eligible' } | { status: 'waiting' | 'ignored'; reason: string };

export function classifyPending(pod: PodInfo, now: Millis, cfg: NodeScalerConfig): Eligibility {
  if (pod.terminating) return { status: 'ignored', reason: 'pod is being deleted' };
  if (pod.owner?.kind === 'DaemonSet') return { status: 'ignored', reason: 'DaemonSet pods follow nodes; they never ask for one' };
  if (pod.schedulingGated) return { status: 'ignored', reason: 'scheduling gates are set' };
  if (pod.nominatedNodeName) return { status: 'ignored', reason: `nominated to ${pod.nominatedNodeName} (waiting on preemption)` };
  if (pod.priority < cfg.expendablePodsPriorityCutoff) {
    return { status: 'ignored', reason: `expendable: priority ${pod.priority} < cutoff ${cfg.expendablePodsPriorityCutoff}` };
  }
  if (pod.unschedulableSince === undefined) return { status: 'waiting', reason: 'not marked Unschedulable by the scheduler yet' };
  const delaySec = pendingDelaySeconds(pod, cfg);
  const pendingSec = (now - pod.unschedulableSince) / 1000;
  if (pendingSec < delaySec) return { status: 'waiting', reason: `unschedulable for ${fmt(pendingSec)}s < ${fmt(delaySec)}s` };
  return { status: 'eligible' };
}

/** T_pend, overridable per pod with `node-scaler.io/pending-delay` (`45`, `45s`, `2m`). */
export function pendingDelaySeconds(pod: PodInfo, cfg: NodeScalerConfig): number {
  const raw = pod.annotations[ANNOTATION.pendingDelay];
  const parsed = raw === undefined ? undefined : parseShortDuration(raw);
  return parsed ?? cfg.pendingDelaySeconds;
}

/** `90`, `90s`, `5m`, `1h` → seconds; anything else → undefined (the default applies). */
export function parseShortDuration(raw: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$/.exec(raw);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1;
  return n * unit;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
