import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { ActuatorRef } from '../config.js';
import type { ActuatorObservation, PoolActuator } from './contracts.js';
import { KARPENTER_ICE_EVENT_REASON, newestCapacityFailure, type EventLike, type NodeClaimLike } from './karpenter-capacity.js';
import { kubeError } from './kube-errors.js';
import { writeReplicas } from './scale-write.js';

/**
 * A pool backed by a Karpenter **static** NodePool (research/node-scaler.md §3.3 B2; Karpenter
 * ≥ 1.8 with the `StaticCapacity` feature gate). Upstream facts this file rests on
 * (kubernetes-sigs/karpenter):
 *
 * - pkg/apis/v1/nodepool.go: `spec.replicas` (int64, minimum 0) makes a NodePool static, a CEL
 *   rule forbids switching between static and dynamic, and the cluster-scoped CRD declares
 *   `+kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.nodes` (no
 *   selector). The count is read from the NodePool's spec.replicas (what `/scale` reports) and
 *   written through `/scale`, so the apiserver's own validation and resourceVersion conflicts
 *   apply. On a dynamic NodePool `/scale` is an HTTP 500 ("the spec replicas field does not
 *   exist"); reading the NodePool instead lets a dynamic pool — sized from pending pods by
 *   Karpenter — be refused with a message that says so.
 * - The pool's nodes carry the label `karpenter.sh/nodepool=<name>`, as do its NodeClaims
 *   (whose `status.nodeName` names the node before the label may be seen on it).
 * - Capacity failures: see karpenter-capacity.ts.
 * - **No targeted removal.** pkg/controllers/static/deprovisioning/controller.go picks the
 *   NodeClaims to delete itself when replicas drop (NodeClaims without a providerID first, then
 *   empty nodes, then the lowest rescheduling cost × remaining lifetime); no annotation steers it
 *   (`karpenter.sh/do-not-disrupt` on pods only sorts a node last). Deleting a chosen NodeClaim is
 *   no substitute: pkg/controllers/static/provisioning/controller.go watches NodeClaim deletions
 *   and launches a replacement while the count is below replicas, and the later decrease again
 *   lets Karpenter pick — so a node the node-scaler did not choose could go. markForRemoval()
 *   therefore always rejects; the executor then keeps one replica more for that node. Under the
 *   node-scaler a static pool grows, and shrinks only by requests that have not launched yet
 *   (Karpenter cancels unlaunched NodeClaims first); shrinking running nodes stays manual.
 */

export type KarpenterNodePoolRef = Extract<ActuatorRef, { kind: 'karpenterNodePool' }>;

export const KARPENTER = {
  group: 'karpenter.sh',
  version: 'v1',
  /** On Nodes and NodeClaims: the NodePool they belong to. */
  nodePoolLabel: 'karpenter.sh/nodepool',
} as const;

interface NodePoolObject {
  metadata: { name: string; resourceVersion?: string };
  /** null never comes from Karpenter itself, but JSON allows it and it means "unset" too. */
  spec?: { replicas?: number | null };
}

export interface KarpenterNodePoolActuatorOptions {
  /**
   * Read `InsufficientCapacityError` Events (needs `list` on events cluster-wide). Default true:
   * Karpenter deletes a NodeClaim that hit insufficient capacity, so the Event is the only trace.
   */
  capacityEvents?: boolean;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class KarpenterNodePoolActuator implements PoolActuator {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly capacityEvents: boolean;
  /** `NodePool gpu-reserved`, for error messages. */
  readonly description: string;

  constructor(
    kc: KubeConfig,
    readonly ref: KarpenterNodePoolRef,
    options: KarpenterNodePoolActuatorOptions = {},
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    this.capacityEvents = options.capacityEvents ?? true;
    this.description = `NodePool ${ref.name}`;
  }

  async observe(): Promise<ActuatorObservation> {
    // The scale subresource's replicas are the NodePool's spec.replicas: one read serves both.
    const [pool, claims, nodes, events] = await Promise.all([this.readPool(), this.listNodeClaims(), this.listNodeNames(), this.listCapacityEvents()]);
    const observation: ActuatorObservation = { desired: this.staticReplicas(pool), nodes: nodeNames(nodes, claims) };
    const failure = newestCapacityFailure(this.ref.name, claims, events);
    if (failure) observation.capacityFailure = failure;
    return observation;
  }

  setDesired(replicas: number): Promise<void> {
    return writeReplicas(
      {
        description: this.description,
        read: async () => {
          const pool = await this.readPool();
          return { replicas: this.staticReplicas(pool), resourceVersion: pool.metadata.resourceVersion };
        },
        // The NodePool's resourceVersion is its scale's.
        write: async (n, resourceVersion) => {
          await this.custom.patchClusterCustomObjectScale({ ...this.poolParams(), body: { metadata: { resourceVersion }, spec: { replicas: n } } }, MERGE_PATCH);
        },
      },
      replicas,
    );
  }

  /** Always rejects: Karpenter offers no way to choose which node of a static NodePool goes (see the file header). */
  markForRemoval(node: string): Promise<void> {
    return Promise.reject(
      new Error(
        `${this.description}: cannot remove node ${node} by choice: when spec.replicas drops, Karpenter picks the static pool's ` +
          'nodes to delete itself (unlaunched NodeClaims, then empty nodes, then the lowest disruption cost), and a deleted ' +
          'NodeClaim is replaced to keep spec.replicas; the replica count is kept so the pool never loses a node the node-scaler did not choose',
      ),
    );
  }

  // ── reads ─────────────────────────────────────────────────────────────────────────────────

  private poolParams() {
    return { group: KARPENTER.group, version: KARPENTER.version, plural: 'nodepools', name: this.ref.name };
  }

  private async readPool(): Promise<NodePoolObject> {
    try {
      return (await this.custom.getClusterCustomObject(this.poolParams())) as NodePoolObject;
    } catch (err) {
      throw kubeError(err, `read ${this.description}`);
    }
  }

  private async listNodeClaims(): Promise<NodeClaimLike[]> {
    const labelSelector = this.poolSelector();
    try {
      const list = (await this.custom.listClusterCustomObject({ group: KARPENTER.group, version: KARPENTER.version, plural: 'nodeclaims', labelSelector })) as { items?: NodeClaimLike[] };
      return list.items ?? [];
    } catch (err) {
      throw kubeError(err, `list NodeClaims of ${this.description} (${labelSelector})`);
    }
  }

  private async listNodeNames(): Promise<string[]> {
    const labelSelector = this.poolSelector();
    try {
      const list = await this.core.listNode({ labelSelector });
      return list.items.map((n) => n.metadata?.name ?? '').filter((name) => name !== '');
    } catch (err) {
      throw kubeError(err, `list nodes of ${this.description} (${labelSelector})`);
    }
  }

  /** Karpenter's Events on cluster-scoped NodeClaims land in `default`; all namespaces are read so a custom recorder is covered too. */
  private async listCapacityEvents(): Promise<EventLike[]> {
    if (!this.capacityEvents) return [];
    const fieldSelector = `reason=${KARPENTER_ICE_EVENT_REASON},involvedObject.kind=NodeClaim`;
    try {
      return (await this.core.listEventForAllNamespaces({ fieldSelector })).items;
    } catch (err) {
      throw kubeError(err, `list ${KARPENTER_ICE_EVENT_REASON} Events for ${this.description} (${fieldSelector})`);
    }
  }

  private poolSelector(): string {
    return `${KARPENTER.nodePoolLabel}=${this.ref.name}`;
  }

  // ── checks ────────────────────────────────────────────────────────────────────────────────

  /** spec.replicas of a static NodePool; a dynamic one (no replicas) cannot be driven by a count. */
  private staticReplicas(pool: NodePoolObject): number {
    const replicas = pool.spec?.replicas;
    if (replicas === undefined || replicas === null) {
      throw new Error(
        `${this.description} has no spec.replicas: it is a dynamic NodePool, sized by Karpenter from pending pods; the node-scaler ` +
          'drives only static NodePools (spec.replicas set; Karpenter ≥ 1.8 with the StaticCapacity feature gate)',
      );
    }
    return this.checkReplicas(replicas, 'spec.replicas');
  }

  private checkReplicas(value: number | undefined, where: string): number {
    const replicas = value ?? 0;
    if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`${this.description}: ${where} reports replicas ${String(value)}`);
    return replicas;
  }
}

/** Labelled Nodes, plus NodeClaims' status.nodeName (a node may register before its label is seen). */
function nodeNames(labelled: readonly string[], claims: readonly NodeClaimLike[]): string[] {
  const names = new Set(labelled);
  for (const c of claims) if (c.status?.nodeName) names.add(c.status.nodeName);
  return [...names].sort();
}
