/**
 * The Karpenter static NodePool actuator against a real kube-apiserver: minimal karpenter.sh/v1
 * CRDs (test/e2e/fixtures/karpenter-crds.yaml) with the NodePool `scale` subresource exactly as
 * upstream declares it, so /scale, its validation and its conflicts are kube-apiserver's own. No
 * Karpenter runs: NodeClaims, their status and Karpenter's InsufficientCapacityError Events are
 * written the way its controllers would.
 */
import { expect } from 'chai';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { EventSink, Evictor, NodePatcher, PoolActuator } from '../../src/nodescaler/cluster/contracts.js';
import { executePlan } from '../../src/nodescaler/cluster/executor.js';
import { KarpenterNodePoolActuator } from '../../src/nodescaler/cluster/karpenter-actuator.js';
import { emptyState } from '../../src/nodescaler/state.js';
import type { NodeAction, Plan, PoolPlan } from '../../src/nodescaler/types.js';
import { silentLogger } from '../../src/util/log.js';
import { requireBinariesOrSkip, startControlPlane, type ControlPlane } from './harness/index.js';
import { ClusterFixtures, createClusterObject, installKarpenterCrds } from './support/cluster-fixtures.js';

const GROUP = 'karpenter.sh';
const VERSION = 'v1';
const POOL_LABEL = 'karpenter.sh/nodepool';
const NODEPOOLS = { group: GROUP, version: VERSION, plural: 'nodepools' };
const NODECLAIMS = { group: GROUP, version: VERSION, plural: 'nodeclaims' };

interface NodePool {
  metadata: { name: string; resourceVersion: string };
  spec?: { replicas?: number };
}

describe('e2e node-scaler Karpenter static NodePool actuator', function () {
  let cp: ControlPlane | undefined;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let fx: ClusterFixtures;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  const actuator = (name: string, options: { capacityEvents?: boolean } = {}) => new KarpenterNodePoolActuator(kc, { kind: 'karpenterNodePool', name }, options);
  const getPool = async (name: string) => (await custom.getClusterCustomObject({ ...NODEPOOLS, name })) as NodePool;
  const rejection = (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => e);

  const createPool = (name: string, replicas: number | undefined, nodes?: number) =>
    createClusterObject(custom, NODEPOOLS, {
      kind: 'NodePool', metadata: { name },
      spec: { template: { spec: { nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' }, requirements: [] } }, ...(replicas === undefined ? {} : { replicas }) },
    }, nodes === undefined ? undefined : { nodes });

  const createClaim = (name: string, pool: string, status: object) =>
    createClusterObject(custom, NODECLAIMS, { kind: 'NodeClaim', metadata: { name, labels: { [POOL_LABEL]: pool } }, spec: { requirements: [] } }, status);

  const launched = (status: 'True' | 'False' | 'Unknown', reason: string, at: string, message = '') =>
    ({ conditions: [{ type: 'Launched', status, reason, message, lastTransitionTime: at, observedGeneration: 1 }] });

  /** What Karpenter's recorder writes before deleting a NodeClaim that hit insufficient capacity (namespace `default`). */
  const createIceEvent = (claim: string, at: string, message: string) =>
    core.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: `${claim}.ice` },
        involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: 'NodeClaim', name: claim },
        reason: 'InsufficientCapacityError', type: 'Warning', message,
        firstTimestamp: new Date(at), lastTimestamp: new Date(at), count: 1, source: { component: 'karpenter' },
      },
    });

  before(async function () {
    requireBinariesOrSkip(this);
    this.timeout(300_000);
    cp = await startControlPlane({ withoutControllerManager: true });
    kc = cp.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
    fx = new ClusterFixtures(kc, 'unused', 'unused');
    await installKarpenterCrds(cp);

    await createPool('gpu-static', 2, 2);
    await createPool('gpu-other', 1, 1);
    await createPool('gpu-static-spot', 1);
    await createPool('gpu-dynamic', undefined);
    await fx.createNode('node-s-1', { labels: { [POOL_LABEL]: 'gpu-static' } });
    // Registered, label not written yet: known through its NodeClaim's status.nodeName only.
    await fx.createNode('node-s-2');
    await fx.createNode('node-o-1', { labels: { [POOL_LABEL]: 'gpu-other' } });
    await createClaim('gpu-static-b2c4d', 'gpu-static', { nodeName: 'node-s-2', providerID: 'kwok://node-s-2', ...launched('True', 'Launched', '2026-03-02T09:00:00Z') });
    await createClaim('gpu-static-f5g6h', 'gpu-static', launched('Unknown', 'InsufficientCapacity', '2026-03-02T10:00:00Z', 'no p5.48xlarge in us-east-1a'));
    // A newer launch failure that is not about capacity: another pool would not fix it.
    await createClaim('gpu-static-k7m8n', 'gpu-static', launched('False', 'LaunchFailed', '2026-03-02T11:30:00Z', 'nodeclass not found'));
    await createIceEvent('gpu-static-x9z2p', '2026-03-02T11:00:00Z', 'NodeClaim gpu-static-x9z2p event: all requested instance types were unavailable during launch');
    // Newest of all, but a NodeClaim of gpu-static-spot: never gpu-static's.
    await createIceEvent('gpu-static-spot-q2w3e', '2026-03-02T12:00:00Z', 'NodeClaim gpu-static-spot-q2w3e event: spot capacity');
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cp) console.log(`control-plane logs:\n${cp.logs()}`);
  });

  after(async function () {
    this.timeout(60_000);
    await cp?.stop();
  });

  it('serves /scale for a NodePool as upstream declares it (spec.replicas, status.nodes, no selector)', async function () {
    const scale = JSON.parse(await plane().kubectlOk(['get', '--raw', `/apis/${GROUP}/${VERSION}/nodepools/gpu-static/scale`])) as { spec: { replicas: number }; status: { replicas: number; selector?: string } };
    expect(scale.spec.replicas).to.equal(2);
    expect(scale.status.replicas).to.equal(2);
    expect(scale.status.selector ?? '').to.equal('');
  });

  it('observe() reads replicas from /scale, nodes from the label and NodeClaims, and the newest capacity failure', async function () {
    expect(await actuator('gpu-static').observe()).to.deep.equal({
      desired: 2,
      nodes: ['node-s-1', 'node-s-2'],
      capacityFailure: {
        at: Date.parse('2026-03-02T11:00:00Z'),
        reason: 'InsufficientCapacityError: NodeClaim gpu-static-x9z2p event: all requested instance types were unavailable during launch',
      },
    });
    expect(await actuator('gpu-other').observe()).to.deep.equal({ desired: 1, nodes: ['node-o-1'] });
    expect((await actuator('gpu-static-spot').observe()).capacityFailure?.reason).to.contain('gpu-static-spot-q2w3e');
  });

  it('observe() without Events falls back to the NodeClaim whose Launched condition names capacity', async function () {
    expect((await actuator('gpu-static', { capacityEvents: false }).observe()).capacityFailure).to.deep.equal({
      at: Date.parse('2026-03-02T10:00:00Z'),
      reason: 'NodeClaim gpu-static-f5g6h not launched: InsufficientCapacity: no p5.48xlarge in us-east-1a',
    });
  });

  it('setDesired() writes spec.replicas through /scale and is a no-op when equal', async function () {
    const a = actuator('gpu-other');
    await a.setDesired(3);
    expect((await plane().kubectlOk(['get', 'nodepool', 'gpu-other', '-o', 'jsonpath={.spec.replicas}'])).trim()).to.equal('3');
    const rv = (await getPool('gpu-other')).metadata.resourceVersion;
    await a.setDesired(3);
    expect((await getPool('gpu-other')).metadata.resourceVersion, 'no write when already 3').to.equal(rv);
    await a.setDesired(0);
    expect((await getPool('gpu-other')).spec?.replicas).to.equal(0);
    expect((await a.observe()).desired).to.equal(0);
    await a.setDesired(1);
    const bad = await rejection(a.setDesired(-1));
    expect(bad?.message).to.equal('NodePool gpu-other: refusing to set replicas to -1');
  });

  it('refuses a dynamic NodePool (no spec.replicas) without writing, as kube-apiserver would refuse the switch', async function () {
    const a = actuator('gpu-dynamic');
    const observeErr = await rejection(a.observe());
    expect(observeErr?.message).to.contain('NodePool gpu-dynamic has no spec.replicas: it is a dynamic NodePool');
    // Why the NodePool is read before /scale: kube-apiserver answers /scale of a pool without replicas with a 500.
    const raw = await plane().get(`/apis/${GROUP}/${VERSION}/nodepools/gpu-dynamic/scale`);
    expect(raw.status).to.equal(500);
    expect(raw.body).to.contain('does not exist');
    const rv = (await getPool('gpu-dynamic')).metadata.resourceVersion;
    const setErr = await rejection(a.setDesired(1));
    expect(setErr?.message).to.contain('StaticCapacity feature gate');
    expect((await getPool('gpu-dynamic')).metadata.resourceVersion).to.equal(rv);
    // The fixture keeps upstream's CEL rule: writing replicas onto a dynamic pool is a 422.
    const direct = await plane().kubectl(['scale', 'nodepool', 'gpu-dynamic', '--replicas=1']);
    expect(direct.code).to.not.equal(0);
    expect(direct.stderr).to.contain('Cannot transition NodePool between static');
  });

  it('a missing NodePool rejects naming the object and the HTTP code', async function () {
    const a = actuator('nope');
    expect((await rejection(a.observe()))?.message).to.match(/NodePool nope.*HTTP 404/);
    expect((await rejection(a.setDesired(1)))?.message).to.match(/read NodePool nope: HTTP 404/);
  });

  it('markForRemoval() rejects — Karpenter cannot be told which node goes — and changes nothing', async function () {
    const before = (await getPool('gpu-static')).metadata.resourceVersion;
    const err = await rejection(actuator('gpu-static').markForRemoval('node-s-1'));
    expect(err?.message).to.contain('NodePool gpu-static: cannot remove node node-s-1 by choice');
    expect(err?.message).to.contain('the replica count is kept');
    expect((await getPool('gpu-static')).metadata.resourceVersion).to.equal(before);
    const claims = (await custom.listClusterCustomObject({ ...NODECLAIMS, labelSelector: `${POOL_LABEL}=gpu-static` })) as { items: unknown[] };
    expect(claims.items).to.have.length(3);
  });

  it('the executor keeps one replica more for a removal it cannot mark, and still grows another pool', async function () {
    await createPool('exec-a', 3, 3);
    await createPool('exec-b', 1, 1);
    const actuators = new Map<string, PoolActuator>([['exec-a', actuator('exec-a')], ['exec-b', actuator('exec-b')]]);
    const observed = new Map([['exec-a', await actuator('exec-a').observe()], ['exec-b', await actuator('exec-b').observe()]]);
    const poolPlan = (name: string, current: number, desired: number, removals = 0): PoolPlan =>
      ({ name, tier: 'reserved', current, desired, newNodes: Math.max(0, desired - current), removals, availability: 'available', reasons: ['test'] });
    const nodeActions: NodeAction[] = [{ kind: 'removeNode', pool: 'exec-a', node: 'exec-a-1', reason: 'empty' }];
    const plan: Plan = {
      at: Date.now(), dryRun: false, pools: [poolPlan('exec-a', 3, 2, 1), poolPlan('exec-b', 1, 2)], nodeActions, pods: [], nodes: [], events: [], state: emptyState(),
      summary: {
        pendingGpuPods: 0, eligible: 0, fitsExisting: 0, absorbed: 0, scaleUp: 0, deferred: 0, unsatisfiable: 0, newNodes: 1,
        removedNodes: 1, drainingNodes: 0, allocationRatio: 0, spotShare: 0, effectiveSpotMaxShare: 0.6,
      },
    };
    const unused = () => Promise.reject(new Error('not expected in this plan'));
    const patcher: NodePatcher = { cordon: unused, uncordon: unused, taint: unused, untaint: unused };
    const evictor: Evictor = { apply: unused };
    const events: EventSink = { emit: () => Promise.resolve() };

    const report = await executePlan(plan, { actuators, observed, patcher, evictor, events, log: silentLogger, now: Date.now() });

    expect(report.errors.map((e) => `${e.step} ${e.target}`)).to.deep.equal(['removeNode exec-a-1']);
    expect(report.errors[0]?.error).to.contain('cannot remove node exec-a-1 by choice');
    expect(report.poolsChanged).to.deep.equal([{ pool: 'exec-b', from: 1, to: 2 }]);
    expect((await getPool('exec-a')).spec?.replicas, 'no shrink by a node Karpenter would choose').to.equal(3);
    expect((await getPool('exec-b')).spec?.replicas).to.equal(2);
  });
});
