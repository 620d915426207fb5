/**
 * Label, annotation and taint names the node-scaler reads or writes (research/node-scaler.md §7).
 * The gpu-autoscaler.io names are honoured for compatibility with the earlier design's users;
 * Cluster Autoscaler's and Karpenter's opt-outs are honoured so one annotation works everywhere.
 */
export const ANNOTATION = {
  pendingDelay: 'node-scaler.io/pending-delay',
  tier: 'node-scaler.io/tier',
  scaleDownDisabled: 'node-scaler.io/scale-down-disabled',
  interruptionDeadline: 'node-scaler.io/interruption-deadline',
  caScaleDownDisabled: 'cluster-autoscaler.kubernetes.io/scale-down-disabled',
  caSafeToEvict: 'cluster-autoscaler.kubernetes.io/safe-to-evict',
  caSafeToEvictLocalVolumes: 'cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes',
  doNotDisrupt: 'karpenter.sh/do-not-disrupt',
  evictionPriority: 'gpu-autoscaler.io/eviction-priority',
  workloadType: 'gpu-autoscaler.io/workload-type',
  spotInterruptionWarning: 'gpu-autoscaler.io/spot-interruption-warning',
  spotTerminationTime: 'gpu-autoscaler.io/spot-termination-time',
} as const;

export const TAINT = {
  draining: 'node-scaler.io/draining',
  interrupted: 'node-scaler.io/interrupted',
  atRisk: 'node-scaler.io/at-risk',
} as const;

export const GPU_RESOURCE = 'nvidia.com/gpu';
export const MIG_PREFIX = 'nvidia.com/mig-';

/** Priority classes Kubernetes ships for components that must run. */
export const SYSTEM_PRIORITY_CLASSES: ReadonlySet<string> = new Set(['system-cluster-critical', 'system-node-critical']);

/** The Lease replicas of `node-scaler run` compete for (leader election). */
export const DEFAULT_LEASE_NAME = 'ai-metrics-adapter-node-scaler';

/** The ConfigMap the leader keeps its memory (plan.state) in, beside its Lease. */
export const DEFAULT_STATE_CONFIGMAP = 'ai-metrics-adapter-node-scaler-state';
