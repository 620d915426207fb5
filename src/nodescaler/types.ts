import type { NodeScalerConfig, TaintSpec, Tier } from './config.js';

/**
 * The snapshot decide() reads and the plan it returns (research/node-scaler.md §4.1, §4.10).
 * Everything is plain data — timestamps are epoch milliseconds, never Date — so a snapshot can
 * be written to a file, replayed, and compared with deep equality. The cluster-facing half
 * (informers, actuators, DCGM join) builds snapshots; decide() never does I/O.
 */

export type { Tier } from './config.js';
export type Taint = TaintSpec;

/** Epoch milliseconds. */
export type Millis = number;

export interface Snapshot {
  /** The clock: decide() never reads the wall clock. */
  now: Millis;
  config: NodeScalerConfig;
  /** What each configured pool's actuator reports now. Pools missing here count as desired = registered = 0. */
  pools: PoolObservation[];
  nodes: NodeInfo[];
  /** Every non-terminal pod the informer sees, bound or pending. */
  pods: PodInfo[];
  pdbs: PdbInfo[];
  /** Memory carried from the previous plan (`plan.state`); `emptyState()` on the first tick. */
  state: ScalerState;
  /** Pre-warm targets from the predictor (§4.8); ignored unless predictive.enabled. */
  prewarm?: PrewarmTarget[];
}

export interface PoolObservation {
  name: string;
  /** Replicas currently requested from the engine (e.g. MachineDeployment spec.replicas). */
  desired: number;
  /** Nodes of the pool that exist as Node objects (ready or not). */
  registered: number;
  /** Latest explicit capacity failure (failed Machine, failed ASG activity, …); acted on once. */
  capacityFailure?: { at: Millis; reason: string };
}

export type Provider = 'aws' | 'gcp' | 'azure' | 'other';

export interface InterruptionSignal {
  kind: 'terminate' | 'rebalance' | 'maintenance';
  /** When the node goes away; default from config.interruption.defaultNoticeSeconds by provider. */
  deadline?: Millis;
  /** What reported it, e.g. `aws-node-termination-handler/spot-itn` or the annotation name. */
  source: string;
  provider: Provider;
}

export interface NodeInfo {
  name: string;
  /** Configured pool the node belongs to; undefined = not managed (ignored). */
  pool?: string;
  /** Capacity type read from the node's labels, when it says one. */
  capacityType?: Tier;
  createdAt: Millis;
  ready: boolean;
  /** spec.unschedulable (cordoned). */
  unschedulable: boolean;
  /** The node carries a GPU/accelerator label from registration (device plugin may not be up yet). */
  acceleratorLabel: boolean;
  /** GPU slots of the pool's gpuResource in status.allocatable (0 while the device plugin starts). */
  gpuAllocatable: number;
  /** Σ GPU-slot requests of non-terminal pods bound to the node. */
  gpuAllocated: number;
  /** Mean GPU busy fraction (0–1) over the window, idle GPUs included; absent = unknown. */
  dcgm?: { util: number; ageSeconds: number };
  interruption?: InterruptionSignal;
  taints: Taint[];
  annotations: Record<string, string>;
}

export interface PodOwner {
  kind: string;
  name: string;
  controller: boolean;
}

export interface Toleration {
  key?: string;
  operator?: 'Equal' | 'Exists';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

export interface PodInfo {
  uid: string;
  namespace: string;
  name: string;
  /** Bound node; undefined while pending. */
  nodeName?: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  priority: number;
  priorityClassName?: string;
  /** Summed container requests of extended resources (`nvidia.com/gpu`, `nvidia.com/mig-1g.10gb`, …). */
  requests: Record<string, number>;
  /** lastTransitionTime of PodScheduled=False, reason Unschedulable. */
  unschedulableSince?: Millis;
  nominatedNodeName?: string;
  schedulingGated?: boolean;
  owner?: PodOwner;
  /** Static pod mirrored by the kubelet. */
  mirror?: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Names of emptyDir/hostPath volumes (local storage). */
  localVolumes?: string[];
  /** `namespace/name` of every PDB whose selector matches the pod. */
  pdbs?: string[];
  terminationGracePeriodSeconds?: number;
  startedAt?: Millis;
  /** deletionTimestamp set. */
  terminating?: boolean;
  /** Pools the pod could run on; computed from the constraints below when absent. */
  compatiblePools?: string[];
  nodeSelector?: Record<string, string>;
  /** nodeAffinity.requiredDuringScheduling…nodeSelectorTerms (OR of ANDed expressions). */
  requiredNodeAffinity?: NodeSelectorRequirement[][];
  tolerations?: Toleration[];
}

export interface PdbInfo {
  namespace: string;
  name: string;
  disruptionsAllowed: number;
}

export interface PrewarmTarget {
  /** GPU class name (gpuModel + tier set). */
  className: string;
  /** Pools of the class, any tier. */
  pools: string[];
  /** GPU slots the class should have (allocatable + in-flight) until `until`. */
  gpus: number;
  until: Millis;
  reason: string;
}

// ── memory carried between ticks ────────────────────────────────────────────────────────

/** The per-pool availability state machine (§4.3). `level` is k in b_k = min(b0·2^k, bMax). */
export type Availability =
  | { state: 'available'; level: number; lastFailureAt?: Millis }
  | { state: 'backoff'; level: number; lastFailureAt: Millis; until: Millis; reason: string }
  | { state: 'probing'; level: number; lastFailureAt: Millis; since: Millis; registeredAtStart: number };

/** One raise of a pool's desired count not yet matched by registered nodes. */
export interface InFlightRequest {
  nodes: number;
  at: Millis;
}

export interface PoolMemory {
  availability: Availability;
  /** Unfulfilled requests, oldest first; Σ nodes = max(0, desired − registered). */
  requests: InFlightRequest[];
  lastScaleUpAt?: Millis;
  lastDrainFailureAt?: Millis;
  /** `capacityFailure.at` already acted on. */
  handledFailureAt?: Millis;
  /** Interruption times in the last 24 h. */
  interruptions: Millis[];
  /** Node-count integral per hour over the last 24 h, for the interruption rate. */
  sizeHours: Array<{ hour: number; nodeSeconds: number; seconds: number }>;
  lastSampleAt?: Millis;
  /** Interruption rate above λ_max: ranked last among spot pools. */
  demoted: boolean;
}

export interface NodeMemory {
  unneededSince?: Millis;
  unremovableUntil?: Millis;
  interruptionSeenAt?: Millis;
  drainingSince?: Millis;
  atRiskSince?: Millis;
  /** Pool a rebalance pre-provisioned replacement went to. */
  atRiskReplacement?: string;
  /** A drain was cancelled then: an older draining taint still on the node is ignored. */
  drainCancelledAt?: Millis;
  /** removeNode was planned (desired already lowered for it): the node is on its way out. */
  removeRequestedAt?: Millis;
}

export interface ScalerState {
  pools: Record<string, PoolMemory>;
  nodes: Record<string, NodeMemory>;
  lastNonEmptyRemovalAt?: Millis;
  /** Per GPU class, since when the headroom trigger has held. */
  headroomHighSince: Record<string, Millis>;
  /** Steps of Δs taken off spot.maxShare by interruption-rate feedback. */
  spotShareSteps: number;
  spotShareChangedAt?: Millis;
  /** Since when every spot pool's rate has been below λ_max/2. */
  spotCalmSince?: Millis;
  /**
   * Pool each waiting demand (pod uid, or a replacement key) was placed in last tick: it goes
   * back to the same in-flight capacity first, so a greedy re-shuffle never asks twice.
   */
  claims?: Record<string, string>;
}

// ── plan ────────────────────────────────────────────────────────────────────────────────

export type Band = 'low' | 'medium' | 'high' | 'systemCritical';

export interface PodRef {
  namespace: string;
  name: string;
}

export type NodeAction =
  | { kind: 'taint'; node: string; taint: Taint; reason: string }
  | { kind: 'untaint'; node: string; key: string; reason: string }
  | { kind: 'cordon' | 'uncordon'; node: string; reason: string }
  | { kind: 'evict'; node: string; pod: PodRef; uid: string; graceSeconds: number; notBefore: Millis; band: Band; reason: string }
  | { kind: 'forceDelete'; node: string; pod: PodRef; uid: string; graceSeconds: number; at: Millis; reason: string }
  | { kind: 'removeNode'; pool: string; node: string; reason: string };

export type PodStatus =
  /** Not yet pending for T_pend. */
  | 'waiting'
  /** Not a candidate for scale-up (expendable, nominated, gated, DaemonSet, …). */
  | 'ignored'
  /** Free GPU slots exist on a ready node it may use: the scheduler should place it. */
  | 'fits-existing'
  /** Covered by a node already requested (in flight). */
  | 'absorbed'
  /** A new node was requested for it this tick. */
  | 'scale-up'
  /** Its best pool is only rate-limited this tick (per-tick limit, cooldown): it waits rather than fall to a dearer tier. */
  | 'deferred'
  | 'unsatisfiable';

export interface PodVerdict {
  uid: string;
  namespace: string;
  name: string;
  gpus: number;
  status: PodStatus;
  pool?: string;
  node?: string;
  reason: string;
  /** Better-ranked pools passed over, and why (fallback explanation). */
  skipped?: Array<{ pool: string; why: string }>;
}

export type NodeStatus = 'in-use' | 'upcoming' | 'unneeded' | 'blocked' | 'draining' | 'removing' | 'interrupted' | 'at-risk' | 'unmanaged';

export interface NodeVerdict {
  name: string;
  pool?: string;
  status: NodeStatus;
  reason: string;
}

export interface PoolPlan {
  name: string;
  tier: Tier;
  /** Desired replicas observed this tick. */
  current: number;
  /** Desired replicas after this plan (removals included). */
  desired: number;
  newNodes: number;
  removals: number;
  availability: Availability['state'];
  reasons: string[];
}

export interface PlanEvent {
  involved: { kind: 'Pod' | 'Node' | 'Pool'; name: string; namespace?: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface PlanSummary {
  pendingGpuPods: number;
  /** Pending GPU pods that took part in placement (eligible and with a compatible pool). */
  eligible: number;
  fitsExisting: number;
  absorbed: number;
  scaleUp: number;
  deferred: number;
  unsatisfiable: number;
  newNodes: number;
  removedNodes: number;
  drainingNodes: number;
  /** ρ = ΣU/ΣA over ready, schedulable, non-interrupted GPU nodes (0 when there are none). */
  allocationRatio: number;
  /** Spot GPUs / all GPUs after the plan (desired counts). */
  spotShare: number;
  effectiveSpotMaxShare: number;
}

export interface Plan {
  at: Millis;
  dryRun: boolean;
  pools: PoolPlan[];
  nodeActions: NodeAction[];
  pods: PodVerdict[];
  nodes: NodeVerdict[];
  events: PlanEvent[];
  summary: PlanSummary;
  /** Feed back as `snapshot.state` on the next tick. */
  state: ScalerState;
}
