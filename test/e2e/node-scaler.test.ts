/**
 * `node-scaler run` end to end on a real control plane: the controller runs as its own process
 * under the shipped RBAC, watches real Pods/Nodes/PDBs, drives Cluster API MachineDeployments
 * through their scale subresource (minimal CRDs, no Cluster API controllers: the test plays the
 * engine by creating Machines and Nodes), cordons and evicts through the real API (the disruption
 * controller makes PDBs answer 429), emits Events, exports gpu_autoscaler_* metrics, and hands
 * over through a coordination.k8s.io Lease.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { DEFAULT_CONTROLLERS, REPO_ROOT, requireBinariesOrSkip, startControlPlane, waitFor, type ControlPlane } from './harness/index.js';
import { ClusterFixtures, installClusterApiCrds, MERGE_PATCH, ownTaints } from './support/cluster-fixtures.js';
import { installNodeScalerRbac, NODE_SCALER_NS, NODE_SCALER_SA, sampleValue, startNodeScalerProcess, type NodeScalerProcess } from './support/node-scaler-process.js';

const CAPI_NS = 'capi';
const NS = 'ml';
const DELETE_MACHINE = 'cluster.x-k8s.io/delete-machine';
const GPU = 'nvidia.com/gpu';

function pool(name: string, tier: 'spot' | 'onDemand', price: number): Record<string, unknown> {
  return {
    name, tier, gpuModel: 'A100', gpusPerNode: 8, pricePerHour: price, onDemandReferencePrice: 32, max: 4,
    labels: { 'nvidia.com/gpu.product': 'A100', 'node-scaler.io/tier': tier },
    actuator: { kind: 'clusterApi', namespace: CAPI_NS, name },
  };
}

/** Defaults of docs/node-scaler.md, with the clocks shortened so a test takes seconds, not minutes. */
const CONFIG = {
  dryRun: false,
  scanIntervalSeconds: 1,
  pendingDelaySeconds: 0,
  spot: { maxShare: 1 },
  scaleDown: { unneededSeconds: 2, minNodeAgeSeconds: 0, delayAfterAddSeconds: 0, cooldownSeconds: 0, delayAfterFailureSeconds: 0 },
  interruption: { safetyMarginSeconds: 2 },
  pools: [pool('gpu-spot', 'spot', 12), pool('gpu-od', 'onDemand', 32)],
};

describe('e2e node-scaler run (Cluster API pools, interruptions, leader election)', function () {
  let cp: ControlPlane | undefined;
  let fx: ClusterFixtures;
  let kubeconfig: string;
  let configFile: string;
  let leader: NodeScalerProcess | undefined;
  let standby: NodeScalerProcess | undefined;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  const replicas = async (name: string) => (await fx.getCapi('machinedeployments', name)).spec?.replicas;
  const waitReplicas = (name: string, want: number, timeoutMs = 30_000) =>
    waitFor(`MachineDeployment ${name} at ${want} replicas`, async () => (await replicas(name)) === want, {
      timeoutMs, intervalMs: 200, describe: async () => `${leader?.output().slice(-4000) ?? ''}`,
    });
  const labelsOf = (tier: string) => ({ 'nvidia.com/gpu.product': 'A100', 'node-scaler.io/tier': tier });
  const leaseHolder = async () => (await plane().kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: NODE_SCALER_NS, name: 'ai-metrics-adapter-node-scaler' })).spec?.holderIdentity;

  /** What the MachineSet controller does with a marked Machine after the count dropped. */
  const playEngineDeleting = async (machine: string, node: string) => {
    await plane().kubectlOk(['-n', CAPI_NS, 'delete', 'machine', machine]);
    await plane().kubectlOk(['delete', 'node', node]);
  };

  before(async function () {
    requireBinariesOrSkip(this);
    this.timeout(300_000);
    cp = await startControlPlane({ controllers: [...DEFAULT_CONTROLLERS, 'disruption-controller'] });
    fx = new ClusterFixtures(cp.kubeConfig(), CAPI_NS, NS);
    await installClusterApiCrds(cp);
    await fx.createNamespaces(cp);
    await fx.createCapi('Cluster', 'clusters', 'c1', { spec: {} });
    await fx.createPool('gpu-spot', 0);
    await fx.createPool('gpu-od', 0);
    await installNodeScalerRbac(cp);
    kubeconfig = await cp.serviceAccountKubeconfig(NODE_SCALER_NS, NODE_SCALER_SA);
    configFile = join(cp.dir, 'node-scaler.yaml');
    writeFileSync(configFile, stringify(CONFIG));
    leader = await startNodeScalerProcess({ configFile, kubeconfig, identity: 'node-scaler-a' });
    await waitFor('node-scaler-a holds the Lease', async () => (await leaseHolder()) === 'node-scaler-a', { timeoutMs: 30_000 });
  });

  after(async function () {
    this.timeout(60_000);
    await Promise.all([leader?.stop(), standby?.stop()]);
    await cp?.stop();
  });

  it('a pending GPU pod raises the cheapest pool through /scale, and the pod gets a TriggeredScaleUp Event', async function () {
    this.timeout(60_000);
    await fx.createPendingPod('train-0', { requests: { [GPU]: '8' } });
    await waitReplicas('gpu-spot', 1);
    expect(await replicas('gpu-od')).to.equal(0);
    const events = await waitFor('TriggeredScaleUp on ml/train-0', async () => {
      const list = JSON.parse(await plane().kubectlOk(['-n', NS, 'get', 'events', '--field-selector', 'involvedObject.name=train-0', '-o', 'json'])) as { items: { reason: string; message: string; source?: { component?: string } }[] };
      return list.items.find((e) => e.reason === 'TriggeredScaleUp');
    }, { timeoutMs: 20_000 });
    expect(events.message).to.contain('gpu-spot');
  });

  it('capacity the engine delivers is not requested twice', async function () {
    this.timeout(60_000);
    await fx.createMachine('gpu-spot-m1', 'gpu-spot', { phase: 'Running', nodeRef: { kind: 'Node', name: 'gpu-spot-1' } });
    await fx.createNode('gpu-spot-1', { labels: labelsOf('spot'), allocatable: { [GPU]: '8' }, providerID: 'aws:///us-east-1a/i-0001' });
    await plane().kubectlOk(['-n', NS, 'delete', 'pod', 'train-0', '--grace-period=0', '--force']);
    await fx.createRunningPod('train-low', 'gpu-spot-1', { requests: { [GPU]: '4' }, annotations: { 'gpu-autoscaler.io/eviction-priority': 'low' } });
    await fx.createRunningPod('train-high', 'gpu-spot-1', { requests: { [GPU]: '4' }, labels: { app: 'train-high' }, annotations: { 'gpu-autoscaler.io/eviction-priority': 'high' } });
    await plane().kubectlOk(['-n', NS, 'create', 'poddisruptionbudget', 'train-high', '--selector=app=train-high', '--min-available=1']);
    await fx.waitPdb(plane(), 'train-high', 0);
    const before = await leader!.metrics();
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await replicas('gpu-spot')).to.equal(1);
    expect(await replicas('gpu-od')).to.equal(0);
    const text = await leader!.metrics();
    expect(sampleValue(text, 'gpu_autoscaler_desired_node_count{pool="gpu-spot"}')).to.equal(1);
    expect(sampleValue(text, 'gpu_autoscaler_is_leader')).to.equal(1);
    expect(sampleValue(before, 'gpu_autoscaler_last_reconcile_timestamp')).to.be.a('number');
    expect(sampleValue(text, 'gpu_autoscaler_last_reconcile_timestamp')).to.be.greaterThan(sampleValue(before, 'gpu_autoscaler_last_reconcile_timestamp')!);
  });

  it('an interruption notice: cordon within 1 s, replacement first, evictions by band, the PDB held until the deadline, the node removed', async function () {
    this.timeout(120_000);
    const deadline = Date.now() + 20_000;
    const annotations = { 'gpu-autoscaler.io/spot-interruption-warning': 'true', 'gpu-autoscaler.io/spot-termination-time': new Date(deadline).toISOString() };
    const noticedAt = Date.now();
    await fx.core.patchNode({ name: 'gpu-spot-1', body: { metadata: { annotations } } }, MERGE_PATCH);
    await waitFor('gpu-spot-1 cordoned', async () => (await fx.core.readNode({ name: 'gpu-spot-1' })).spec?.unschedulable === true, { timeoutMs: 10_000, intervalMs: 25 });
    const cordonMs = Date.now() - noticedAt;
    console.log(`      cordoned ${cordonMs} ms after the notice was written`);
    expect(cordonMs).to.be.below(1_000);
    expect(ownTaints((await fx.core.readNode({ name: 'gpu-spot-1' })).spec?.taints)).to.include('node-scaler.io/interrupted');

    // The replacement is requested in another pool (the spot pool backs off), before the pods are gone.
    await waitReplicas('gpu-od', 1, 10_000);
    expect((await fx.readPod('train-high'))?.metadata?.deletionTimestamp).to.equal(undefined);

    // Low band goes at once; the PDB (disruptionsAllowed 0) holds the high-band pod until deadline − margin.
    await waitFor('train-low evicted', async () => {
      const pod = await fx.readPod('train-low');
      return pod === undefined || pod.metadata?.deletionTimestamp !== undefined;
    }, { timeoutMs: 15_000, describe: async () => leader!.output().slice(-6000) });
    await new Promise((r) => setTimeout(r, Math.max(0, deadline - 2_000 - Date.now() - 3_000)));
    const high = await fx.readPod('train-high');
    expect(high?.metadata?.deletionTimestamp, 'train-high evicted despite its PDB').to.equal(undefined);
    await waitFor('train-high force-deleted at the deadline', async () => {
      const pod = await fx.readPod('train-high');
      return pod === undefined || pod.metadata?.deletionTimestamp !== undefined;
    }, { timeoutMs: 15_000 });
    expect(Date.now()).to.be.at.least(deadline - 2_000 - 500);

    // Past the deadline the node leaves its pool: its Machine is marked, then the count drops.
    await waitReplicas('gpu-spot', 0, 20_000);
    const machine = await fx.getCapi('machines', 'gpu-spot-m1');
    expect(machine.metadata.annotations?.[DELETE_MACHINE]).to.be.a('string');
    await playEngineDeleting('gpu-spot-m1', 'gpu-spot-1');
  });

  it('an idle on-demand node leaves through delete-machine and a lower count', async function () {
    this.timeout(60_000);
    // Everything from the interrupted node is gone (no kubelet confirms deletions: finish them).
    for (const name of ['train-low', 'train-high']) await plane().kubectl(['-n', NS, 'delete', 'pod', name, '--grace-period=0', '--force']);
    await fx.createMachine('gpu-od-m1', 'gpu-od', { phase: 'Running', nodeRef: { kind: 'Node', name: 'gpu-od-1' } });
    await fx.createNode('gpu-od-1', { labels: labelsOf('onDemand'), allocatable: { [GPU]: '8' } });
    await waitReplicas('gpu-od', 0, 30_000);
    expect((await fx.getCapi('machines', 'gpu-od-m1')).metadata.annotations?.[DELETE_MACHINE]).to.be.a('string');
    await playEngineDeleting('gpu-od-m1', 'gpu-od-1');
    const text = await leader!.metrics();
    expect(sampleValue(text, 'gpu_autoscaler_scaling_actions_total{action="scale_down",capacity_type="onDemand",success="true"}')).to.be.at.least(1);
  });

  it('a standby replica acts only after the leader releases the Lease', async function () {
    this.timeout(120_000);
    standby = await startNodeScalerProcess({ configFile, kubeconfig, identity: 'node-scaler-b' });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await leaseHolder()).to.equal('node-scaler-a');
    expect(sampleValue(await standby.metrics(), 'gpu_autoscaler_is_leader')).to.equal(0);

    await leader!.stop();
    leader = undefined;
    await waitFor('node-scaler-b holds the Lease', async () => (await leaseHolder()) === 'node-scaler-b', { timeoutMs: 20_000 });
    await waitFor('node-scaler-b reports leading', async () => sampleValue(await standby!.metrics(), 'gpu_autoscaler_is_leader') === 1, { timeoutMs: 10_000 });

    await fx.createPendingPod('train-1', { requests: { [GPU]: '8' } });
    await waitFor('gpu-od at 1 replicas (standby acting)', async () => (await replicas('gpu-od')) === 1, { timeoutMs: 30_000, describe: async () => standby!.output().slice(-6000) });
    // The spot pool's backoff (from the interruption) came over in the state ConfigMap: no retry on spot.
    expect(await replicas('gpu-spot')).to.equal(0);
    await plane().kubectlOk(['-n', NODE_SCALER_NS, 'get', 'configmap', 'ai-metrics-adapter-node-scaler-state']);
    expect(standby.output()).to.contain('became leader');
  });

  it('node-scaler plan reads the live cluster and the saved memory, prints what run would do, and writes nothing', async function () {
    this.timeout(60_000);
    await standby?.stop();
    standby = undefined;
    await fx.createPendingPod('train-2', { requests: { [GPU]: '8' } });
    const rvBefore = (await fx.getCapi('machinedeployments', 'gpu-od')).metadata.resourceVersion;
    const out = execFileSync(process.execPath, [
      '--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'node-scaler', 'plan', '--config', configFile, '--kubeconfig', kubeconfig, '--state-namespace', NODE_SCALER_NS,
    ], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(out).to.contain('dry run: nothing is applied');
    expect(out).to.match(/pool gpu-spot \[spot, backoff\]/);
    expect(out).to.match(/pool gpu-od \[onDemand, available\]: 1 → 2/);
    expect((await fx.getCapi('machinedeployments', 'gpu-od')).metadata.resourceVersion).to.equal(rvBefore);
  });
});
