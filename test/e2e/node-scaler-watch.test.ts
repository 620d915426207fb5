/**
 * The node-scaler's snapshot side against a real kube-apiserver: ClusterWatch lists and watches
 * pods, nodes and policy/v1 PDBs; buildSnapshot turns them into the PodInfo/NodeInfo/PdbInfo
 * decide() reads; a node interruption notice reaches onNodeChange within a second.
 */
import { expect } from 'chai';
import { CoreV1Api, PatchStrategy, PolicyV1Api, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import { ClusterWatch } from '../../src/nodescaler/cluster/cluster-watch.js';
import type { ActuatorObservation } from '../../src/nodescaler/cluster/contracts.js';
import { buildSnapshot } from '../../src/nodescaler/cluster/snapshot-builder.js';
import { parseNodeScalerConfig } from '../../src/nodescaler/config.js';
import { emptyState } from '../../src/nodescaler/state.js';
import type { Snapshot } from '../../src/nodescaler/types.js';
import { silentLogger } from '../../src/util/log.js';
import { requireBinariesOrSkip, startControlPlane, waitFor, type ControlPlane } from './harness/index.js';

const NS = 'ml';
const NODE = 'gpu-a-1';
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const config = parseNodeScalerConfig({
  pools: [{
    name: 'gpu-a', tier: 'spot', gpuModel: 'A100', gpusPerNode: 8, pricePerHour: 12, onDemandReferencePrice: 32, max: 4,
    labels: { 'node-scaler.io/pool': 'gpu-a' }, actuator: { kind: 'clusterApi', namespace: 'capi', name: 'gpu-a' },
  }],
});
const observations = new Map<string, ActuatorObservation>([['gpu-a', { desired: 2, nodes: [] }]]);

const gpuPod = (name: string, gpus: number, nodeName?: string) => ({
  metadata: { name, namespace: NS, labels: { app: 'train' } },
  spec: {
    ...(nodeName ? { nodeName } : {}),
    containers: [{ name: 'main', image: 'registry.invalid/train:1', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }],
  },
});

describe('e2e node-scaler: ClusterWatch → buildSnapshot', function () {
  let cp: ControlPlane | undefined;
  let watch: ClusterWatch | undefined;
  let core: CoreV1Api;
  const unschedulableAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 90_000);

  before(async function () {
    requireBinariesOrSkip(this);
    this.timeout(240_000);
    cp = await startControlPlane({ withoutControllerManager: true });
    const kc = cp.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    // No controller manager creates it, and pod admission looks it up.
    await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'default' } } });
    await createGpuNode();
    await createPods();
    await kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: NS, body: { metadata: { name: 'train' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'train' } } } },
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cp) console.log(`control-plane logs:\n${cp.logs()}`);
  });

  after(async function () {
    this.timeout(60_000);
    await watch?.stop();
    await cp?.stop();
  });

  async function createGpuNode(): Promise<void> {
    await core.createNode({ body: { metadata: { name: NODE, labels: { 'node-scaler.io/pool': 'gpu-a', 'karpenter.sh/capacity-type': 'spot', 'nvidia.com/gpu.present': 'true' } } } });
    // A node's status is written by its kubelet, through the status subresource only.
    await core.patchNodeStatus({
      name: NODE,
      body: { status: {
        capacity: { cpu: '32', memory: '256Gi', pods: '110', 'nvidia.com/gpu': '8' },
        allocatable: { cpu: '32', memory: '256Gi', pods: '110', 'nvidia.com/gpu': '8' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }],
      } },
    }, MERGE_PATCH);
  }

  async function createPods(): Promise<void> {
    await core.createNamespacedPod({ namespace: NS, body: gpuPod('train-bound', 2, NODE) });
    await core.createNamespacedPod({ namespace: NS, body: gpuPod('train-done', 4, NODE) });
    await core.createNamespacedPod({ namespace: NS, body: gpuPod('train-pending', 8) });
    // What the scheduler writes when no node fits.
    await core.patchNamespacedPodStatus({
      name: 'train-pending', namespace: NS,
      body: { status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available', lastTransitionTime: unschedulableAt }] } },
    }, MERGE_PATCH);
    await core.patchNamespacedPodStatus({ name: 'train-done', namespace: NS, body: { status: { phase: 'Succeeded' } } }, MERGE_PATCH);
  }

  const snapshot = (): Snapshot => {
    if (!watch) throw new Error('watch not started');
    return buildSnapshot({ now: Date.now(), config, state: emptyState(), objects: watch.objects(), observations, dcgm: () => undefined });
  };

  it('lists pods, nodes and PDBs, and links them in the snapshot', async function () {
    this.timeout(60_000);
    if (!cp) throw new Error('control plane not started');
    watch = new ClusterWatch({ kubeConfig: cp.kubeConfig(), log: silentLogger });
    await watch.start();
    expect(watch.synced).to.equal(true);
    const snap = snapshot();

    expect(snap.pools).to.deep.equal([{ name: 'gpu-a', desired: 2, registered: 1 }]);
    const node = snap.nodes.find((n) => n.name === NODE);
    expect(node).to.deep.include({ pool: 'gpu-a', capacityType: 'spot', ready: true, unschedulable: false, acceleratorLabel: true, gpuAllocatable: 8, gpuAllocated: 2 });
    expect(node).to.not.have.property('dcgm');
    expect(node).to.not.have.property('interruption');

    const pods = new Map(snap.pods.map((p) => [p.name, p]));
    // The terminal pod is filtered by the API server (field selector) and holds no GPUs.
    expect([...pods.keys()].sort()).to.deep.equal(['train-bound', 'train-pending']);
    expect(pods.get('train-bound')).to.deep.include({ nodeName: NODE, phase: 'Pending', requests: { 'nvidia.com/gpu': 2 }, pdbs: [`${NS}/train`] });
    const pending = pods.get('train-pending');
    expect(pending).to.deep.include({ phase: 'Pending', requests: { 'nvidia.com/gpu': 8 }, unschedulableSince: unschedulableAt.getTime(), pdbs: [`${NS}/train`] });
    expect(pending).to.not.have.property('nodeName');
    // No disruption controller runs here, so the PDB has no current status: it allows nothing.
    expect(snap.pdbs).to.deep.equal([{ namespace: NS, name: 'train', disruptionsAllowed: 0 }]);
  });

  it('passes an interruption notice on a node to onNodeChange within 1 s', async function () {
    this.timeout(30_000);
    if (!watch) throw new Error('watch not started');
    const deadline = new Date(Date.now() + 120_000).toISOString();
    const seen = new Promise<number>((resolve) => {
      watch?.onNodeChange((n: V1Node) => {
        if (n.metadata?.name === NODE && n.metadata.annotations?.['node-scaler.io/interruption-deadline'] === deadline) resolve(performance.now());
      });
    });
    const sent = performance.now();
    await core.patchNode({ name: NODE, body: { metadata: { annotations: { 'node-scaler.io/interruption-deadline': deadline } } } }, MERGE_PATCH);
    const at = await Promise.race([seen, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no node change within 5 s')), 5_000))]);
    expect(at - sent).to.be.lessThan(1_000);

    const node = snapshot().nodes.find((n) => n.name === NODE);
    expect(node?.interruption).to.deep.equal({ kind: 'terminate', deadline: Date.parse(deadline), source: 'node-scaler.io/interruption-deadline', provider: 'other' });
  });

  it('drops a pod from the snapshot once it turns terminal (watch event on leaving the field selector)', async function () {
    this.timeout(30_000);
    await core.patchNamespacedPodStatus({ name: 'train-bound', namespace: NS, body: { status: { phase: 'Failed' } } }, MERGE_PATCH);
    await waitFor('train-bound to leave the snapshot', () => !snapshot().pods.some((p) => p.name === 'train-bound'), { timeoutMs: 10_000, intervalMs: 50 });
    expect(snapshot().nodes.find((n) => n.name === NODE)?.gpuAllocated).to.equal(0);
  });
});
