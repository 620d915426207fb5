import type { Tier } from './config.js';
import { ANNOTATION } from './names.js';
import type { InterruptionSignal, Provider, Taint } from './types.js';

/**
 * Pure normalisation helpers for the snapshot builder: what a Node's labels, taints and
 * annotations say about its capacity type and about an interruption notice (§4.7, §7).
 */

export interface NodeSignals {
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  taints: readonly Taint[];
  /** spec.providerID (`aws:///…`, `gce://…`, `azure://…`). */
  providerID?: string;
}

/** Capacity type from the first label that says one (§7 detection order). */
export function detectCapacityType(labels: Readonly<Record<string, string>>): Tier | undefined {
  const own = labels[ANNOTATION.tier];
  if (own === 'reserved' || own === 'spot') return own;
  if (own === 'onDemand' || own === 'on-demand') return 'onDemand';
  const karpenter = labels['karpenter.sh/capacity-type'];
  if (karpenter === 'spot' || karpenter === 'reserved') return karpenter;
  if (karpenter === 'on-demand') return 'onDemand';
  const eks = labels['eks.amazonaws.com/capacityType'];
  if (eks === 'SPOT') return 'spot';
  if (eks === 'ON_DEMAND') return 'onDemand';
  if (eks === 'CAPACITY_BLOCK') return 'reserved';
  if (labels['cloud.google.com/gke-spot'] === 'true' || labels['cloud.google.com/gke-preemptible'] === 'true') return 'spot';
  if (labels['kubernetes.azure.com/scalesetpriority'] === 'spot') return 'spot';
  return undefined;
}

export function detectProvider(providerID: string | undefined): Provider {
  if (providerID?.startsWith('aws://')) return 'aws';
  if (providerID?.startsWith('gce://')) return 'gcp';
  if (providerID?.startsWith('azure://')) return 'azure';
  return 'other';
}

const TAINT_SIGNALS: ReadonlyArray<{ key: string; kind: InterruptionSignal['kind']; provider: Provider }> = [
  { key: 'aws-node-termination-handler/spot-itn', kind: 'terminate', provider: 'aws' },
  { key: 'aws-node-termination-handler/asg-lifecycle-termination', kind: 'terminate', provider: 'aws' },
  { key: 'cloud.google.com/impending-node-termination', kind: 'terminate', provider: 'gcp' },
  { key: 'remediator.kubernetes.azure.com/unschedulable', kind: 'terminate', provider: 'azure' },
  { key: 'aws-node-termination-handler/scheduled-maintenance', kind: 'maintenance', provider: 'aws' },
  { key: 'aws-node-termination-handler/rebalance-recommendation', kind: 'rebalance', provider: 'aws' },
];

const KIND_RANK: Record<InterruptionSignal['kind'], number> = { terminate: 0, maintenance: 1, rebalance: 2 };

/**
 * The most urgent interruption notice on a node, if any: the test/ops annotations first (they
 * carry a deadline), then provider taints. Without a deadline decide() applies the provider's
 * default notice from first sighting.
 */
export function detectInterruption(node: NodeSignals): InterruptionSignal | undefined {
  const provider = detectProvider(node.providerID);
  const own = node.annotations[ANNOTATION.interruptionDeadline];
  if (own !== undefined) return { kind: 'terminate', deadline: parseTime(own), source: ANNOTATION.interruptionDeadline, provider };
  const warning = node.annotations[ANNOTATION.spotInterruptionWarning];
  if (warning !== undefined && warning !== 'false') {
    const at = node.annotations[ANNOTATION.spotTerminationTime];
    return { kind: 'terminate', deadline: at === undefined ? undefined : parseTime(at), source: ANNOTATION.spotInterruptionWarning, provider };
  }
  const hits = TAINT_SIGNALS.filter((s) => node.taints.some((t) => t.key === s.key)).sort((a, b) => KIND_RANK[a.kind] - KIND_RANK[b.kind]);
  const hit = hits[0];
  return hit ? { kind: hit.kind, source: hit.key, provider: provider === 'other' ? hit.provider : provider } : undefined;
}

function parseTime(raw: string): number | undefined {
  const t = Date.parse(raw);
  return Number.isFinite(t) ? t : undefined;
}
