/**
 * Objects the node-scaler e2e tests create on a real control plane without kubelets, schedulers
 * or Cluster API controllers: Cluster API objects (status written the way a controller would),
 * Nodes with GPU allocatable and a Ready condition, pods bound and marked Running/Ready, pods
 * marked Unschedulable, and PodDisruptionBudgets with a real disruptionsAllowed.
 */
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, PolicyV1Api, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { REPO_ROOT, waitFor, type ControlPlane } from '../harness/index.js';

export const CAPI_GROUP = 'cluster.x-k8s.io';
export const CAPI_VERSION = 'v1beta1';
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface CapiObject {
  metadata: { name: string; resourceVersion: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: { replicas?: number; paused?: boolean };
}

export interface NodeOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: object[];
  unschedulable?: boolean;
  providerID?: string;
  /** Extended resources in status.allocatable, e.g. `{ 'nvidia.com/gpu': '8' }`; with it the node is also marked Ready. */
  allocatable?: Record<string, string>;
}

export interface PodOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  requests?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  ownerReferences?: object[];
}

/** Installs the minimal Cluster API CRDs (test/e2e/fixtures) and waits until they are served. */
export async function installClusterApiCrds(cp: ControlPlane): Promise<void> {
  await cp.kubectlOk(['apply', '-f', join(REPO_ROOT, 'test/e2e/fixtures/cluster-api-crds.yaml')]);
  const crds = ['clusters', 'machinedeployments', 'machinesets', 'machinepools', 'machines'].map((plural) => `crd/${plural}.${CAPI_GROUP}`);
  await cp.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...crds]);
}

/** Installs the minimal Karpenter CRDs (NodePool with its scale subresource, NodeClaim) and waits until they are served. */
export async function installKarpenterCrds(cp: ControlPlane): Promise<void> {
  await cp.kubectlOk(['apply', '-f', join(REPO_ROOT, 'test/e2e/fixtures/karpenter-crds.yaml')]);
  await cp.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/nodepools.karpenter.sh', 'crd/nodeclaims.karpenter.sh']);
}

/**
 * Creates a cluster-scoped custom object; `status`, a subresource on every fixture CRD, is then
 * written the way a controller would (create ignores it).
 */
export async function createClusterObject(
  custom: CustomObjectsApi,
  gv: { group: string; version: string; plural: string },
  body: { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: object },
  status?: object,
): Promise<void> {
  await custom.createClusterCustomObject({ ...gv, body: { apiVersion: `${gv.group}/${gv.version}`, ...body } });
  if (status) await custom.patchClusterCustomObjectStatus({ ...gv, name: body.metadata.name, body: { status } }, MERGE_PATCH);
}

export class ClusterFixtures {
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly policy: PolicyV1Api;

  constructor(
    kc: KubeConfig,
    readonly capiNamespace: string,
    readonly workNamespace: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.policy = kc.makeApiClient(PolicyV1Api);
  }

  /** Both namespaces, and the `default` ServiceAccount pod admission needs in the work namespace. */
  async createNamespaces(cp: ControlPlane): Promise<void> {
    await cp.kubectlOk(['create', 'namespace', this.capiNamespace]);
    await cp.kubectlOk(['create', 'namespace', this.workNamespace]);
    await waitFor(`service account ${this.workNamespace}/default`, async () => Boolean(await this.core.readNamespacedServiceAccount({ namespace: this.workNamespace, name: 'default' })), { timeoutMs: 60_000 });
  }

  async getCapi(plural: string, name: string): Promise<CapiObject> {
    return (await this.custom.getNamespacedCustomObject({ group: CAPI_GROUP, version: CAPI_VERSION, namespace: this.capiNamespace, plural, name })) as CapiObject;
  }

  async createCapi(kind: string, plural: string, name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string>; spec?: object; status?: object }): Promise<void> {
    const body = { apiVersion: `${CAPI_GROUP}/${CAPI_VERSION}`, kind, metadata: { name, namespace: this.capiNamespace, labels: extra.labels, annotations: extra.annotations }, spec: extra.spec ?? {} };
    await this.custom.createNamespacedCustomObject({ group: CAPI_GROUP, version: CAPI_VERSION, namespace: this.capiNamespace, plural, body });
    // Status is a subresource (as upstream): create ignores it, so it is written the way a controller would.
    if (extra.status) await this.patchCapiStatus(plural, name, extra.status);
  }

  async patchCapiStatus(plural: string, name: string, status: object): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus({ group: CAPI_GROUP, version: CAPI_VERSION, namespace: this.capiNamespace, plural, name, body: { status } }, MERGE_PATCH);
  }

  createPool(name: string, replicas: number, kind = 'MachineDeployment', status?: object): Promise<void> {
    return this.createCapi(kind, `${kind.toLowerCase()}s`, name, { labels: { 'cluster.x-k8s.io/cluster-name': 'c1' }, spec: { clusterName: 'c1', replicas }, ...(status ? { status } : {}) });
  }

  createMachine(name: string, pool: string, status: object, label = 'cluster.x-k8s.io/deployment-name', spec: object = {}): Promise<void> {
    return this.createCapi('Machine', 'machines', name, { labels: { [label]: pool, 'cluster.x-k8s.io/cluster-name': 'c1' }, spec: { clusterName: 'c1', ...spec }, status });
  }

  async createNode(name: string, opts: NodeOptions = {}): Promise<void> {
    await this.core.createNode({
      body: {
        apiVersion: 'v1', kind: 'Node',
        metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels }, annotations: opts.annotations },
        spec: { taints: opts.taints as never, unschedulable: opts.unschedulable, providerID: opts.providerID },
      },
    });
    if (!opts.allocatable) return;
    const now = new Date().toISOString();
    const resources = { cpu: '32', memory: '256Gi', pods: '110', ...opts.allocatable };
    await this.core.patchNodeStatus({
      name,
      body: { status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fixture', lastHeartbeatTime: now, lastTransitionTime: now }] } },
    }, MERGE_PATCH);
    // Admission adds node.kubernetes.io/not-ready to every new Node and only a node lifecycle
    // controller (not run here) would take it off once Ready: do its part.
    await this.core.patchNode({ name, body: { spec: { taints: opts.taints ?? null } } }, MERGE_PATCH);
  }

  private podBody(name: string, opts: PodOptions, nodeName?: string): V1Pod {
    return {
      metadata: { name, labels: opts.labels, annotations: opts.annotations, ownerReferences: opts.ownerReferences as never },
      spec: {
        nodeName, nodeSelector: opts.nodeSelector, terminationGracePeriodSeconds: 30, automountServiceAccountToken: false,
        containers: [{ name: 'main', image: 'registry.invalid/app:1', resources: opts.requests ? { requests: opts.requests, limits: opts.requests } : undefined }],
      },
    };
  }

  /** A pod bound to `node` and marked Running and Ready, as a kubelet would (there is none). Returns its uid. */
  async createRunningPod(name: string, node: string, opts: PodOptions = {}): Promise<string> {
    const pod = await this.core.createNamespacedPod({ namespace: this.workNamespace, body: this.podBody(name, opts, node) });
    const now = new Date().toISOString();
    const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
    await this.core.patchNamespacedPodStatus({
      namespace: this.workNamespace, name,
      body: {
        status: {
          phase: 'Running', startTime: now, conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition),
          containerStatuses: [{ name: 'main', image: 'registry.invalid/app:1', imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } }],
        },
      },
    }, MERGE_PATCH);
    return pod.metadata?.uid ?? '';
  }

  /** A pod the scheduler (there is none) has marked Unschedulable, as it would for a GPU no node has. */
  async createPendingPod(name: string, opts: PodOptions = {}): Promise<string> {
    const pod = await this.core.createNamespacedPod({ namespace: this.workNamespace, body: this.podBody(name, opts) });
    const now = new Date().toISOString();
    await this.core.patchNamespacedPodStatus({
      namespace: this.workNamespace, name,
      body: { status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: insufficient nvidia.com/gpu.', lastTransitionTime: now }] } },
    }, MERGE_PATCH);
    return pod.metadata?.uid ?? '';
  }

  /** undefined when the pod is gone. */
  async readPod(name: string): Promise<V1Pod | undefined> {
    try {
      return await this.core.readNamespacedPod({ namespace: this.workNamespace, name });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  waitPdb(cp: ControlPlane, name: string, allowed: number): Promise<boolean> {
    return waitFor(`PDB ${name} with disruptionsAllowed ${allowed}`, async () => {
      const pdb = await this.policy.readNamespacedPodDisruptionBudget({ namespace: this.workNamespace, name });
      return pdb.status?.observedGeneration === pdb.metadata?.generation && pdb.status?.disruptionsAllowed === allowed && pdb.status.currentHealthy === pdb.status.expectedPods;
    }, { timeoutMs: 60_000, intervalMs: 300, describe: () => cp.kubectlOk(['-n', this.workNamespace, 'get', 'pdb', name, '-o', 'yaml']) });
  }
}

/** Taint keys, without the not-ready taint kube-apiserver adds to every new Node (no kubelet ever clears it). */
export function ownTaints(taints: readonly { key: string }[] | undefined): string[] {
  return (taints ?? []).map((t) => t.key).filter((k) => k !== 'node.kubernetes.io/not-ready');
}
