import type { NodeCtx } from './context.js';
import type { PodInfo } from './types.js';

/** DaemonSet and mirror pods belong to the node: they are never moved, evicted or waited for. */
export function isNodeBound(pod: PodInfo): boolean {
  return pod.mirror === true || pod.owner?.kind === 'DaemonSet';
}

/** Pods that must leave before the node can go, in a stable order. */
export function movablePods(node: NodeCtx): PodInfo[] {
  return node.pods.filter((p) => !isNodeBound(p)).sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1));
}

export function podRef(pod: PodInfo): { namespace: string; name: string } {
  return { namespace: pod.namespace, name: pod.name };
}

/** The pod's own grace period (Kubernetes' default 30 s when unset). */
export function podGraceSeconds(pod: PodInfo): number {
  return pod.terminationGracePeriodSeconds ?? 30;
}
