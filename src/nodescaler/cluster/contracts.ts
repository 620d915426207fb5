import type { ActuatorRef } from '../config.js';
import type { Millis, NodeAction, PlanEvent } from '../types.js';

/**
 * The seams of the cluster-facing half of the node-scaler (research/node-scaler.md §3.1):
 * watch → snapshot → decide() → executor. Each seam is one small interface so an engine
 * (Cluster API today; Karpenter or an ASG later) is one file, like a KEDA scaler.
 */

/** What an engine reports about one pool. */
export interface ActuatorObservation {
  /** Replicas currently requested (e.g. MachineDeployment spec.replicas via the scale subresource). */
  desired: number;
  /** Node names the engine says belong to the pool (e.g. Machine status.nodeRef.name). */
  nodes: string[];
  /** Latest explicit capacity failure (a failed Machine); decide() acts on each `at` once. */
  capacityFailure?: { at: Millis; reason: string };
}

/** One pool's replica count in an engine. Every write is absolute and idempotent (level-triggered). */
export interface PoolActuator {
  readonly ref: ActuatorRef;
  /** Reads the engine's view; rejects when the pool object cannot be read (the tick then skips the pool). */
  observe(): Promise<ActuatorObservation>;
  /** Sets the replica count; a no-op when it already is `replicas`. */
  setDesired(replicas: number): Promise<void>;
  /**
   * Marks `node` as the one to go on the next decrease (Cluster API: the Machine's
   * `cluster.x-k8s.io/delete-machine` annotation), then verifies the mark is stored. Does not
   * change the replica count: the executor lowers it only after every mark succeeded.
   */
  markForRemoval(node: string): Promise<void>;
}

/** Applies node patches; each method is idempotent and retried on conflicts. */
export interface NodePatcher {
  cordon(node: string): Promise<void>;
  uncordon(node: string): Promise<void>;
  taint(node: string, taint: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }): Promise<void>;
  untaint(node: string, key: string): Promise<void>;
}

export type EvictAction = Extract<NodeAction, { kind: 'evict' | 'forceDelete' }>;

export interface EvictionOutcome {
  uid: string;
  pod: { namespace: string; name: string };
  result: 'evicted' | 'deleted' | 'pdb-blocked' | 'gone' | 'not-due' | 'failed';
  detail?: string;
}

/** Evictions through the Eviction API (429 = a PDB forbids it now: retried on a later tick). */
export interface Evictor {
  apply(actions: readonly EvictAction[], now: Millis): Promise<EvictionOutcome[]>;
}

/** Kubernetes Events on the pods and nodes the node-scaler acts on. */
export interface EventSink {
  emit(event: PlanEvent): Promise<void>;
}
