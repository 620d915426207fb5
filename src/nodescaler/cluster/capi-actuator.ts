import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { ActuatorRef } from '../config.js';
import type { Millis } from '../types.js';
import type { ActuatorObservation, PoolActuator } from './contracts.js';
import { httpCode, kubeError } from './kube-errors.js';
import { writeReplicas } from './scale-write.js';

/**
 * A pool backed by a Cluster API MachineDeployment, MachineSet or MachinePool
 * (research/node-scaler.md §3.2). The replica count is read and written through the object's
 * `scale` subresource, so the apiserver's own validation and conflict handling apply; the nodes
 * of the pool and its capacity failures come from the pool's Machines. Targeted removal marks a
 * Machine with `cluster.x-k8s.io/delete-machine`, which every MachineSet delete policy removes
 * first on the next decrease.
 */

export type ClusterApiRef = Extract<ActuatorRef, { kind: 'clusterApi' }>;

/** Cluster API names (sigs.k8s.io/cluster-api api/v1beta1 common_types.go, machine_types.go). */
export const CAPI = {
  deleteMachine: 'cluster.x-k8s.io/delete-machine',
  paused: 'cluster.x-k8s.io/paused',
  /** On Nodes: the name of their Machine. */
  machineAnnotation: 'cluster.x-k8s.io/machine',
  clusterNameLabel: 'cluster.x-k8s.io/cluster-name',
} as const;

/** Plural and the label the controllers put on a pool's Machines (the value may be a hash past 63 characters). */
const POOL_KINDS: Record<ClusterApiRef['resource'], { plural: string; machineLabel: string }> = {
  MachineDeployment: { plural: 'machinedeployments', machineLabel: 'cluster.x-k8s.io/deployment-name' },
  MachineSet: { plural: 'machinesets', machineLabel: 'cluster.x-k8s.io/set-name' },
  MachinePool: { plural: 'machinepools', machineLabel: 'cluster.x-k8s.io/pool-name' },
};

/** The fields read from Cluster API objects (v1beta1, with v1beta2's moved failure fields). */
export interface CapiObject {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { clusterName?: string; providerID?: string; paused?: boolean };
  status?: {
    phase?: string;
    nodeRef?: { name?: string };
    /** MachinePool: the nodes of the pool when the provider has no MachinePool Machines. */
    nodeRefs?: Array<{ name?: string }>;
    failureReason?: string;
    failureMessage?: string;
    lastUpdated?: string;
    conditions?: Array<{ lastTransitionTime?: string }>;
    deprecated?: { v1beta1?: { failureReason?: string; failureMessage?: string } };
  };
}

interface Scale {
  metadata?: { resourceVersion?: string };
  spec?: { replicas?: number };
}

export interface ClusterApiActuatorOptions {
  /** The clock for the delete-machine annotation's value. */
  now?: () => Millis;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class ClusterApiActuator implements PoolActuator {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly group: string;
  private readonly version: string;
  private readonly plural: string;
  private readonly machineLabel: string;
  private readonly now: () => Millis;
  /** `MachineDeployment gpu/a100-spot`, for error messages. */
  readonly description: string;

  constructor(
    kc: KubeConfig,
    readonly ref: ClusterApiRef,
    options: ClusterApiActuatorOptions = {},
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    [this.group, this.version] = splitApiVersion(ref.apiVersion);
    ({ plural: this.plural, machineLabel: this.machineLabel } = POOL_KINDS[ref.resource]);
    this.now = options.now ?? Date.now;
    this.description = `${ref.resource} ${ref.namespace}/${ref.name}`;
  }

  async observe(): Promise<ActuatorObservation> {
    const [scale, pool, machines] = await Promise.all([this.readScale(), this.readPool(), this.listMachines()]);
    await this.rejectIfPaused(pool);
    const observation: ActuatorObservation = { desired: replicasOf(scale, this.description), nodes: nodeNames(pool, machines) };
    const failure = newestFailure(machines);
    if (failure) observation.capacityFailure = failure;
    return observation;
  }

  setDesired(replicas: number): Promise<void> {
    return writeReplicas(
      {
        description: this.description,
        read: async () => {
          const scale = await this.readScale();
          return { replicas: replicasOf(scale, this.description), resourceVersion: scale.metadata?.resourceVersion };
        },
        write: async (n, resourceVersion) => {
          await this.custom.patchNamespacedCustomObjectScale({ ...this.poolParams(), body: { metadata: { resourceVersion }, spec: { replicas: n } } }, MERGE_PATCH);
        },
      },
      replicas,
    );
  }

  async markForRemoval(node: string): Promise<void> {
    const machine = await this.machineOfNode(node);
    const what = `Machine ${this.ref.namespace}/${machine.metadata.name} (node ${node}, ${this.description})`;
    // An existing mark keeps its original time: marking is idempotent.
    if (!machine.metadata.annotations?.[CAPI.deleteMachine]) {
      const body = { metadata: { annotations: { [CAPI.deleteMachine]: new Date(this.now()).toISOString() } } };
      try {
        await this.custom.patchNamespacedCustomObject({ ...this.machineParams(machine.metadata.name), body }, MERGE_PATCH);
      } catch (err) {
        throw kubeError(err, `annotate ${what} with ${CAPI.deleteMachine}`);
      }
    }
    // Verify before anyone lowers replicas: an unmarked Machine would let the delete policy pick a busy node.
    const stored = await this.readMachine(machine.metadata.name, what);
    if (!stored.metadata.annotations?.[CAPI.deleteMachine]) throw new Error(`${what}: the ${CAPI.deleteMachine} annotation is not stored after the patch`);
  }

  // ── reads ─────────────────────────────────────────────────────────────────────────────────

  private poolParams() {
    return { group: this.group, version: this.version, namespace: this.ref.namespace, plural: this.plural, name: this.ref.name };
  }

  private machineParams(name: string) {
    return { group: this.group, version: this.version, namespace: this.ref.namespace, plural: 'machines', name };
  }

  private async readScale(): Promise<Scale> {
    try {
      return (await this.custom.getNamespacedCustomObjectScale(this.poolParams())) as Scale;
    } catch (err) {
      throw kubeError(err, `read the scale subresource of ${this.description}`);
    }
  }

  private async readPool(): Promise<CapiObject> {
    try {
      return (await this.custom.getNamespacedCustomObject(this.poolParams())) as CapiObject;
    } catch (err) {
      throw kubeError(err, `read ${this.description}`);
    }
  }

  private async readMachine(name: string, what: string): Promise<CapiObject> {
    try {
      return (await this.custom.getNamespacedCustomObject(this.machineParams(name))) as CapiObject;
    } catch (err) {
      throw kubeError(err, `read ${what}`);
    }
  }

  private async listMachines(): Promise<CapiObject[]> {
    const labelSelector = `${this.machineLabel}=${this.ref.name}`;
    try {
      const list = (await this.custom.listNamespacedCustomObject({
        group: this.group, version: this.version, namespace: this.ref.namespace, plural: 'machines', labelSelector,
      })) as { items?: CapiObject[] };
      return list.items ?? [];
    } catch (err) {
      throw kubeError(err, `list Machines of ${this.description} (${labelSelector})`);
    }
  }

  /** A Machine of this pool only: marking another pool's Machine would shrink the wrong pool. */
  private async machineOfNode(node: string): Promise<CapiObject> {
    const machines = await this.listMachines();
    const byRef = machines.find((m) => m.status?.nodeRef?.name === node);
    if (byRef) return byRef;
    const fromNode = await this.readNodeLinks(node);
    const byLink = fromNode && machines.find((m) =>
      (fromNode.machine !== undefined && m.metadata.name === fromNode.machine) ||
      (fromNode.providerID !== undefined && m.spec?.providerID === fromNode.providerID));
    if (byLink) return byLink;
    throw new Error(
      `no Machine of ${this.description} belongs to node ${node} (checked status.nodeRef of ${machines.length} Machine(s), ` +
        `the node's ${CAPI.machineAnnotation} annotation and spec.providerID)`,
    );
  }

  /** The node's own pointers to its Machine; undefined when the Node is gone. */
  private async readNodeLinks(node: string): Promise<{ machine?: string; providerID?: string } | undefined> {
    try {
      const n = await this.core.readNode({ name: node });
      return { machine: n.metadata?.annotations?.[CAPI.machineAnnotation], providerID: n.spec?.providerID || undefined };
    } catch (err) {
      if (httpCode(err) === 404) return undefined;
      throw kubeError(err, `read node ${node}`);
    }
  }

  /** Cluster API itself stops reconciling a paused object: writing replicas then would do nothing visible, or surprise later. */
  private async rejectIfPaused(pool: CapiObject): Promise<void> {
    if (pool.metadata.annotations?.[CAPI.paused] !== undefined) {
      throw new Error(`${this.description} is paused (annotation ${CAPI.paused}): the node-scaler leaves the pool alone until it is resumed`);
    }
    const clusterName = pool.spec?.clusterName ?? pool.metadata.labels?.[CAPI.clusterNameLabel];
    if (!clusterName) return;
    const cluster = await this.readCluster(clusterName);
    if (!cluster) return;
    const how = cluster.spec?.paused ? 'spec.paused' : cluster.metadata.annotations?.[CAPI.paused] !== undefined ? `annotation ${CAPI.paused}` : undefined;
    if (how) throw new Error(`Cluster ${this.ref.namespace}/${clusterName} of ${this.description} is paused (${how}): the node-scaler leaves the pool alone until it is resumed`);
  }

  /** undefined when the Cluster object does not exist (a bare MachineDeployment, or a test without the Cluster CRD). */
  private async readCluster(name: string): Promise<CapiObject | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: this.group, version: this.version, namespace: this.ref.namespace, plural: 'clusters', name,
      })) as CapiObject;
    } catch (err) {
      if (httpCode(err) === 404) return undefined;
      throw kubeError(err, `read Cluster ${this.ref.namespace}/${name} of ${this.description}`);
    }
  }
}

// ── pure helpers ────────────────────────────────────────────────────────────────────────────

export function splitApiVersion(apiVersion: string): [group: string, version: string] {
  const slash = apiVersion.indexOf('/');
  if (slash <= 0 || slash === apiVersion.length - 1) throw new Error(`apiVersion ${apiVersion} must be <group>/<version>, e.g. cluster.x-k8s.io/v1beta1`);
  return [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

function replicasOf(scale: Scale, what: string): number {
  const replicas = scale.spec?.replicas ?? 0;
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`${what}: the scale subresource reports spec.replicas ${String(scale.spec?.replicas)}`);
  return replicas;
}

/** Machine nodeRefs, plus a MachinePool's status.nodeRefs (providers without MachinePool Machines). */
function nodeNames(pool: CapiObject, machines: readonly CapiObject[]): string[] {
  const names = new Set<string>();
  for (const m of machines) if (m.status?.nodeRef?.name) names.add(m.status.nodeRef.name);
  for (const ref of pool.status?.nodeRefs ?? []) if (ref.name) names.add(ref.name);
  return [...names].sort();
}

/**
 * The latest Machine that failed for good (phase Failed or a failureReason/failureMessage).
 * `at` must be stable across ticks, because decide() acts on each failure time once.
 */
export function newestFailure(machines: readonly CapiObject[]): ActuatorObservation['capacityFailure'] {
  let newest: { at: Millis; reason: string } | undefined;
  for (const m of machines) {
    const legacy = m.status?.deprecated?.v1beta1;
    const failureReason = m.status?.failureReason ?? legacy?.failureReason;
    const failureMessage = m.status?.failureMessage ?? legacy?.failureMessage;
    if (m.status?.phase !== 'Failed' && !failureReason && !failureMessage) continue;
    const at = failureTime(m);
    if (at === undefined || (newest && newest.at >= at)) continue;
    const reason = [failureReason, failureMessage].filter(Boolean).join(': ') || `Machine ${m.metadata.name} is in phase Failed`;
    newest = { at, reason };
  }
  return newest;
}

/** When the Machine reached its phase (status.lastUpdated), else its latest condition change, else its creation. */
function failureTime(m: CapiObject): Millis | undefined {
  const conditionTimes = (m.status?.conditions ?? []).map((c) => parseTime(c.lastTransitionTime)).filter((t): t is Millis => t !== undefined);
  return parseTime(m.status?.lastUpdated) ?? (conditionTimes.length > 0 ? Math.max(...conditionTimes) : undefined) ?? parseTime(m.metadata.creationTimestamp);
}

function parseTime(text: string | undefined): Millis | undefined {
  if (!text) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
