/**
 * The node-scaler's acting side against a real control plane (research/node-scaler.md §3.6):
 * the Cluster API actuator on minimal CRDs (scale subresource served by kube-apiserver itself),
 * cordon/taint patches on Nodes, the Eviction API with real PodDisruptionBudgets (the disruption
 * controller runs, so disruptionsAllowed is real and a blocked eviction is a real 429), and the
 * executor applying a hand-written plan in order — or, in dry run, not at all.
 */
import { expect } from 'chai';
import { CoreV1Api, PolicyV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ClusterApiActuator, type ClusterApiRef } from '../../src/nodescaler/cluster/capi-actuator.js';
import type { EvictAction, EventSink, Evictor, NodePatcher, PoolActuator } from '../../src/nodescaler/cluster/contracts.js';
import { KubeEvictor } from '../../src/nodescaler/cluster/evictor.js';
import { executePlan, type ExecutorDeps } from '../../src/nodescaler/cluster/executor.js';
import { KubeNodePatcher } from '../../src/nodescaler/cluster/node-patcher.js';
import { emptyState } from '../../src/nodescaler/state.js';
import type { NodeAction, Plan, PlanEvent, PoolPlan } from '../../src/nodescaler/types.js';
import { silentLogger } from '../../src/util/log.js';
import { DEFAULT_CONTROLLERS, requireBinariesOrSkip, startControlPlane, type ControlPlane } from './harness/index.js';
import { CAPI_GROUP as GROUP, CAPI_VERSION as VERSION, ClusterFixtures, installClusterApiCrds, MERGE_PATCH, ownTaints } from './support/cluster-fixtures.js';

const CAPI_NS = 'capi';
const WORK_NS = 'work';
const FIXED_NOW = Date.parse('2026-03-02T12:00:00Z');


describe('e2e node-scaler actuation (Cluster API actuator, node patcher, evictor, executor)', function () {
  let cp: ControlPlane | undefined;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let policy: PolicyV1Api;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  const mdRef = (name: string, resource: ClusterApiRef['resource'] = 'MachineDeployment'): ClusterApiRef =>
    ({ kind: 'clusterApi', resource, apiVersion: `${GROUP}/${VERSION}`, namespace: CAPI_NS, name });

  // ── fixtures (test/e2e/support/cluster-fixtures.ts) ─────────────────────────────────────────

  let fx: ClusterFixtures;
  const getCapi = (plural: string, name: string) => fx.getCapi(plural, name);
  const createCapi = (...args: Parameters<ClusterFixtures['createCapi']>) => fx.createCapi(...args);
  const createPool = (...args: Parameters<ClusterFixtures['createPool']>) => fx.createPool(...args);
  const createMachine = (...args: Parameters<ClusterFixtures['createMachine']>) => fx.createMachine(...args);
  const createNode = (...args: Parameters<ClusterFixtures['createNode']>) => fx.createNode(...args);
  const createRunningPod = (name: string, node: string, labels: Record<string, string> = {}) => fx.createRunningPod(name, node, { labels });
  const readPod = (name: string) => fx.readPod(name);
  const ours = ownTaints;
  const nodeRv = async (name: string) => (await core.readNode({ name })).metadata?.resourceVersion;
  const waitPdb = (name: string, allowed: number) => fx.waitPdb(plane(), name, allowed);

  before(async function () {
    requireBinariesOrSkip(this);
    this.timeout(300_000);
    cp = await startControlPlane({ controllers: [...DEFAULT_CONTROLLERS, 'disruption-controller'] });
    kc = cp.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    policy = kc.makeApiClient(PolicyV1Api);
    fx = new ClusterFixtures(kc, CAPI_NS, WORK_NS);
    await installClusterApiCrds(cp);
    await fx.createNamespaces(cp);
    await createCapi('Cluster', 'clusters', 'c1', { spec: {} });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cp) console.log(`control-plane logs:\n${cp.logs()}`);
  });

  after(async function () {
    this.timeout(60_000);
    await cp?.stop();
  });

  // ── Cluster API actuator ──────────────────────────────────────────────────────────────────

  describe('ClusterApiActuator', function () {
    const failedAt = '2026-03-02T11:00:00Z';

    before(async function () {
      this.timeout(60_000);
      await createPool('gpu-a', 2);
      await createPool('gpu-b', 1);
      await createMachine('gpu-a-1', 'gpu-a', { phase: 'Running', nodeRef: { kind: 'Node', name: 'node-a-1' } });
      await createMachine('gpu-a-2', 'gpu-a', { phase: 'Running', nodeRef: { kind: 'Node', name: 'node-a-2' } });
      await createMachine('gpu-a-old', 'gpu-a', { phase: 'Failed', failureReason: 'CreateError', failureMessage: 'old failure', lastUpdated: '2026-03-01T08:00:00Z' });
      await createMachine('gpu-a-3', 'gpu-a', {
        phase: 'Failed', failureReason: 'InsufficientCapacity', failureMessage: 'no p4d.24xlarge capacity in us-east-1a', lastUpdated: failedAt,
      });
      // No nodeRef yet: the Node points at its Machine through the annotation / providerID instead.
      await createMachine('gpu-a-4', 'gpu-a', { phase: 'Provisioned' });
      await createMachine('gpu-a-5', 'gpu-a', { phase: 'Provisioned' }, 'cluster.x-k8s.io/deployment-name', { providerID: 'aws:///us-east-1a/i-0abc' });
      await createMachine('gpu-b-1', 'gpu-b', { phase: 'Running', nodeRef: { kind: 'Node', name: 'node-b-1' } });
      await createNode('node-a-4', { annotations: { 'cluster.x-k8s.io/machine': 'gpu-a-4' } });
      await createNode('node-a-5', { providerID: 'aws:///us-east-1a/i-0abc' });
      await createNode('node-b-1');
    });

    it('observe() reads replicas from /scale, the pool\'s Machine nodeRefs and the newest failed Machine', async function () {
      const obs = await new ClusterApiActuator(kc, mdRef('gpu-a')).observe();
      expect(obs).to.deep.equal({
        desired: 2,
        nodes: ['node-a-1', 'node-a-2'],
        capacityFailure: { at: Date.parse(failedAt), reason: 'InsufficientCapacity: no p4d.24xlarge capacity in us-east-1a' },
      });
      const other = await new ClusterApiActuator(kc, mdRef('gpu-b')).observe();
      expect(other).to.deep.equal({ desired: 1, nodes: ['node-b-1'] });
    });

    it('setDesired() writes spec.replicas through /scale and is a no-op when equal', async function () {
      const actuator = new ClusterApiActuator(kc, mdRef('gpu-b'));
      await actuator.setDesired(3);
      expect((await plane().kubectlOk(['-n', CAPI_NS, 'get', 'machinedeployment', 'gpu-b', '-o', 'jsonpath={.spec.replicas}'])).trim()).to.equal('3');
      const scale = JSON.parse(await plane().kubectlOk(['get', '--raw', `/apis/${GROUP}/${VERSION}/namespaces/${CAPI_NS}/machinedeployments/gpu-b/scale`])) as { spec: { replicas: number } };
      expect(scale.spec.replicas).to.equal(3);
      const rv = (await getCapi('machinedeployments', 'gpu-b')).metadata.resourceVersion;
      await actuator.setDesired(3);
      expect((await getCapi('machinedeployments', 'gpu-b')).metadata.resourceVersion, 'no write when already 3').to.equal(rv);
      await actuator.setDesired(0);
      expect((await getCapi('machinedeployments', 'gpu-b')).spec?.replicas).to.equal(0);
      await actuator.setDesired(1);
    });

    it('setDesired() on a missing pool rejects naming the object and the HTTP code', async function () {
      const err = await new ClusterApiActuator(kc, mdRef('nope')).setDesired(1).then(() => undefined, (e: Error) => e);
      expect(err?.message).to.match(/MachineDeployment capi\/nope.*HTTP 404/);
    });

    it('markForRemoval() annotates the node\'s Machine with an RFC 3339 time, verifies, and is idempotent', async function () {
      const actuator = new ClusterApiActuator(kc, mdRef('gpu-a'), { now: () => FIXED_NOW });
      await actuator.markForRemoval('node-a-2');
      const marked = await getCapi('machines', 'gpu-a-2');
      expect(marked.metadata.annotations).to.include({ 'cluster.x-k8s.io/delete-machine': '2026-03-02T12:00:00.000Z' });
      expect((await getCapi('machines', 'gpu-a-1')).metadata.annotations ?? {}).to.not.have.property('cluster.x-k8s.io/delete-machine');
      await new ClusterApiActuator(kc, mdRef('gpu-a'), { now: () => FIXED_NOW + 60_000 }).markForRemoval('node-a-2');
      expect((await getCapi('machines', 'gpu-a-2')).metadata.resourceVersion, 'an existing mark is kept').to.equal(marked.metadata.resourceVersion);
      const shown = await plane().kubectlOk(['-n', CAPI_NS, 'get', 'machine', 'gpu-a-2', '-o', 'jsonpath={.metadata.annotations.cluster\\.x-k8s\\.io/delete-machine}']);
      expect(shown.trim()).to.equal('2026-03-02T12:00:00.000Z');
    });

    it('markForRemoval() finds a Machine through the node annotation or providerID, only within the pool', async function () {
      const actuator = new ClusterApiActuator(kc, mdRef('gpu-a'), { now: () => FIXED_NOW });
      await actuator.markForRemoval('node-a-4');
      expect((await getCapi('machines', 'gpu-a-4')).metadata.annotations).to.have.property('cluster.x-k8s.io/delete-machine');
      await actuator.markForRemoval('node-a-5');
      expect((await getCapi('machines', 'gpu-a-5')).metadata.annotations).to.have.property('cluster.x-k8s.io/delete-machine');
      const err = await actuator.markForRemoval('node-b-1').then(() => undefined, (e: Error) => e);
      expect(err?.message).to.contain('no Machine of MachineDeployment capi/gpu-a belongs to node node-b-1');
      expect((await getCapi('machines', 'gpu-b-1')).metadata.annotations ?? {}).to.not.have.property('cluster.x-k8s.io/delete-machine');
    });

    it('observe() rejects a paused MachineDeployment or Cluster, naming the object', async function () {
      const actuator = new ClusterApiActuator(kc, mdRef('gpu-a'));
      await plane().kubectlOk(['-n', CAPI_NS, 'annotate', 'machinedeployment', 'gpu-a', 'cluster.x-k8s.io/paused=']);
      const mdErr = await actuator.observe().then(() => undefined, (e: Error) => e);
      expect(mdErr?.message).to.contain('MachineDeployment capi/gpu-a is paused (annotation cluster.x-k8s.io/paused)');
      await plane().kubectlOk(['-n', CAPI_NS, 'annotate', 'machinedeployment', 'gpu-a', 'cluster.x-k8s.io/paused-']);
      await plane().kubectlOk(['-n', CAPI_NS, 'patch', 'cluster', 'c1', '--type=merge', '-p', '{"spec":{"paused":true}}']);
      const clusterErr = await actuator.observe().then(() => undefined, (e: Error) => e);
      expect(clusterErr?.message).to.contain('Cluster capi/c1 of MachineDeployment capi/gpu-a is paused (spec.paused)');
      await plane().kubectlOk(['-n', CAPI_NS, 'patch', 'cluster', 'c1', '--type=merge', '-p', '{"spec":{"paused":false}}']);
      expect((await actuator.observe()).desired).to.equal(2);
    });

    it('serves MachineSets (set-name label) and MachinePools (status.nodeRefs) the same way', async function () {
      await createPool('gpu-ms', 1, 'MachineSet');
      await createMachine('gpu-ms-1', 'gpu-ms', { phase: 'Running', nodeRef: { kind: 'Node', name: 'node-ms-1' } }, 'cluster.x-k8s.io/set-name');
      const ms = new ClusterApiActuator(kc, mdRef('gpu-ms', 'MachineSet'));
      expect(await ms.observe()).to.deep.equal({ desired: 1, nodes: ['node-ms-1'] });
      await ms.setDesired(2);
      expect((await getCapi('machinesets', 'gpu-ms')).spec?.replicas).to.equal(2);

      await createPool('gpu-mp', 2, 'MachinePool', { replicas: 2, nodeRefs: [{ kind: 'Node', name: 'node-mp-1' }, { kind: 'Node', name: 'node-mp-0' }] });
      const mp = new ClusterApiActuator(kc, mdRef('gpu-mp', 'MachinePool'));
      expect(await mp.observe()).to.deep.equal({ desired: 2, nodes: ['node-mp-0', 'node-mp-1'] });
      await mp.setDesired(4);
      expect((await getCapi('machinepools', 'gpu-mp')).spec?.replicas).to.equal(4);
      const err = await mp.markForRemoval('node-mp-1').then(() => undefined, (e: Error) => e);
      expect(err?.message).to.contain('no Machine of MachinePool capi/gpu-mp belongs to node node-mp-1');
    });
  });

  // ── node patcher ──────────────────────────────────────────────────────────────────────────

  describe('KubeNodePatcher', function () {
    const foreign = { key: 'example.com/dedicated', value: 'gpu', effect: 'NoSchedule' };

    before(async function () {
      await createNode('node-p', { taints: [foreign] });
    });

    it('cordon, taint, untaint and uncordon are idempotent and visible with kubectl', async function () {
      const patcher = new KubeNodePatcher(kc);
      const taint = { key: 'node-scaler.io/draining', value: '1772452800', effect: 'NoSchedule' as const };
      // kube-apiserver's TaintNodesByCondition admission added node.kubernetes.io/not-ready at creation: another foreign taint to keep.
      const show = async () => (await plane().kubectlOk(['get', 'node', 'node-p', '-o', 'jsonpath={.spec.unschedulable}|{range .spec.taints[*]}{.key}={.value}:{.effect},{end}']))
        .trim().replace('node.kubernetes.io/not-ready=:NoSchedule,', '');

      await patcher.cordon('node-p');
      let rv = await nodeRv('node-p');
      await patcher.cordon('node-p');
      expect(await nodeRv('node-p'), 'second cordon writes nothing').to.equal(rv);

      await patcher.taint('node-p', taint);
      rv = await nodeRv('node-p');
      await patcher.taint('node-p', taint);
      expect(await nodeRv('node-p'), 'second taint writes nothing').to.equal(rv);
      expect(await show()).to.equal('true|example.com/dedicated=gpu:NoSchedule,node-scaler.io/draining=1772452800:NoSchedule,');

      // A new value replaces the old taint of the same key rather than adding a second one.
      await patcher.taint('node-p', { ...taint, value: '1772452900' });
      expect(await show()).to.equal('true|example.com/dedicated=gpu:NoSchedule,node-scaler.io/draining=1772452900:NoSchedule,');

      await patcher.untaint('node-p', taint.key);
      rv = await nodeRv('node-p');
      await patcher.untaint('node-p', taint.key);
      expect(await nodeRv('node-p'), 'second untaint writes nothing').to.equal(rv);

      await patcher.uncordon('node-p');
      rv = await nodeRv('node-p');
      await patcher.uncordon('node-p');
      expect(await nodeRv('node-p'), 'second uncordon writes nothing').to.equal(rv);
      expect(await show(), 'the foreign taint survives').to.equal('|example.com/dedicated=gpu:NoSchedule,');
    });

    it('concurrent taints on one node both land (409s are retried on a fresh read)', async function () {
      const patcher = new KubeNodePatcher(kc);
      await Promise.all([
        patcher.taint('node-p', { key: 'node-scaler.io/interrupted', value: '1', effect: 'NoSchedule' }),
        patcher.taint('node-p', { key: 'node-scaler.io/at-risk', value: 'true', effect: 'PreferNoSchedule' }),
        patcher.cordon('node-p'),
      ]);
      const node = await core.readNode({ name: 'node-p' });
      expect(ours(node.spec?.taints).sort()).to.deep.equal(['example.com/dedicated', 'node-scaler.io/at-risk', 'node-scaler.io/interrupted']);
      expect(node.spec?.unschedulable).to.equal(true);
      await Promise.all([patcher.untaint('node-p', 'node-scaler.io/interrupted'), patcher.untaint('node-p', 'node-scaler.io/at-risk'), patcher.uncordon('node-p')]);
      expect(ours((await core.readNode({ name: 'node-p' })).spec?.taints)).to.deep.equal(['example.com/dedicated']);
    });

    it('a missing node cannot be cordoned (error names node and HTTP code) but is trivially uncordoned/untainted', async function () {
      const patcher = new KubeNodePatcher(kc);
      const err = await patcher.cordon('node-missing').then(() => undefined, (e: Error) => e);
      expect(err?.message).to.match(/cordon node node-missing: HTTP 404/);
      await patcher.uncordon('node-missing');
      await patcher.untaint('node-missing', 'node-scaler.io/draining');
    });
  });

  // ── evictor ───────────────────────────────────────────────────────────────────────────────

  describe('KubeEvictor', function () {
    const evictOf = (name: string, uid: string, notBefore: number, graceSeconds = 30): EvictAction =>
      ({ kind: 'evict', node: 'node-e', pod: { namespace: WORK_NS, name }, uid, graceSeconds, notBefore, band: 'low', reason: 'test' });
    const deleteOf = (name: string, uid: string, at: number, graceSeconds = 0): EvictAction =>
      ({ kind: 'forceDelete', node: 'node-e', pod: { namespace: WORK_NS, name }, uid, graceSeconds, at, reason: 'test' });

    before(async function () {
      await createNode('node-e');
    });

    it('a PDB with minAvailable = all pods blocks (429 → pdb-blocked); after lowering it the pod is evicted', async function () {
      this.timeout(120_000);
      const uid1 = await createRunningPod('guarded-1', 'node-e', { app: 'guarded' });
      await createRunningPod('guarded-2', 'node-e', { app: 'guarded' });
      await policy.createNamespacedPodDisruptionBudget({
        namespace: WORK_NS,
        body: { metadata: { name: 'guarded' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'guarded' } } } },
      });
      await waitPdb('guarded', 0);

      const evictor = new KubeEvictor(kc, { retryAfterMs: 5_000 });
      const t0 = Date.now();
      const [blocked] = await evictor.apply([evictOf('guarded-1', uid1, t0)], t0);
      expect(blocked).to.include({ uid: uid1, result: 'pdb-blocked' });
      expect(blocked?.detail).to.contain('disruption budget');
      // Within retryAfterMs the pod is not tried again: the remembered answer comes back.
      const [remembered] = await evictor.apply([evictOf('guarded-1', uid1, t0)], t0 + 1_000);
      expect(remembered).to.include({ result: 'pdb-blocked' });
      expect(remembered?.detail).to.contain('next attempt in 4 s');

      await policy.patchNamespacedPodDisruptionBudget({ namespace: WORK_NS, name: 'guarded', body: { spec: { minAvailable: 1 } } }, MERGE_PATCH);
      await waitPdb('guarded', 1);
      const [evicted] = await evictor.apply([evictOf('guarded-1', uid1, t0)], t0 + 6_000);
      expect(evicted).to.include({ uid: uid1, result: 'evicted' });
      const pod = await readPod('guarded-1');
      expect(pod?.metadata?.deletionTimestamp, 'the eviction deleted the pod gracefully').to.not.equal(undefined);
      expect(pod?.metadata?.deletionGracePeriodSeconds).to.equal(30);
      // The next plan repeats the action: no second eviction.
      const [again] = await evictor.apply([evictOf('guarded-1', uid1, t0)], t0 + 7_000);
      expect(again).to.include({ result: 'gone' });
      await core.deleteNamespacedPod({ namespace: WORK_NS, name: 'guarded-1', gracePeriodSeconds: 0 });
    });

    it('a stale uid is gone (409), a missing pod is gone (404), and a not-yet-due action does nothing', async function () {
      const uid = await createRunningPod('free-1', 'node-e', { app: 'free' });
      const evictor = new KubeEvictor(kc);
      const now = Date.now();
      const outcomes = await evictor.apply([
        evictOf('free-1', 'stale-uid-0000', now),
        evictOf('no-such-pod', 'uid-x', now),
        deleteOf('free-1', 'stale-uid-0001', now),
      ], now);
      expect(outcomes.map((o) => o.result)).to.deep.equal(['gone', 'gone', 'gone']);
      expect(outcomes[0]?.detail).to.match(/UID/i);
      expect(await readPod('free-1'), 'the pod with the real uid is untouched').to.have.nested.property('metadata.uid', uid);

      const [later] = await evictor.apply([evictOf('free-1', uid, now + 60_000)], now);
      expect(later).to.include({ result: 'not-due' });
      expect((await readPod('free-1'))?.metadata?.deletionTimestamp).to.equal(undefined);
    });

    it('forceDelete removes the pod at once (grace 0) with the uid precondition; not before it is due', async function () {
      const uid = await createRunningPod('doomed-1', 'node-e');
      const evictor = new KubeEvictor(kc);
      const now = Date.now();
      const [early] = await evictor.apply([deleteOf('doomed-1', uid, now + 5_000)], now);
      expect(early).to.include({ result: 'not-due' });
      expect(await readPod('doomed-1')).to.not.equal(undefined);
      const [done] = await evictor.apply([deleteOf('doomed-1', uid, now)], now);
      expect(done).to.include({ uid, result: 'deleted' });
      expect(await readPod('doomed-1'), 'deleted immediately').to.equal(undefined);
      const [repeat] = await evictor.apply([deleteOf('doomed-1', uid, now)], now + 1_000);
      expect(repeat).to.include({ result: 'gone' });
    });

    it('a plan carrying both an eviction (due) and a force-delete (at the deadline) for one pod evicts now and deletes at the deadline', async function () {
      const uid = await createRunningPod('banded-1', 'node-e');
      const evictor = new KubeEvictor(kc);
      const now = Date.now();
      const deadline = now + 30_000;
      const [first] = await evictor.apply([evictOf('banded-1', uid, now), deleteOf('banded-1', uid, deadline)], now);
      expect(first).to.include({ result: 'evicted' });
      expect((await readPod('banded-1'))?.metadata?.deletionGracePeriodSeconds).to.equal(30);
      const [atDeadline] = await evictor.apply([evictOf('banded-1', uid, now), deleteOf('banded-1', uid, deadline)], deadline);
      expect(atDeadline).to.include({ result: 'deleted' });
      expect(await readPod('banded-1')).to.equal(undefined);
    });

    it('evicts many pods with bounded concurrency', async function () {
      this.timeout(60_000);
      const uids = await Promise.all(Array.from({ length: 12 }, (_, i) => createRunningPod(`bulk-${i}`, 'node-e', { app: 'bulk' })));
      const now = Date.now();
      const outcomes = await new KubeEvictor(kc, { concurrency: 3 }).apply(uids.map((uid, i) => evictOf(`bulk-${i}`, uid, now, 5)), now);
      expect(outcomes.map((o) => o.result)).to.deep.equal(uids.map(() => 'evicted'));
      expect(outcomes.map((o) => o.uid)).to.deep.equal(uids);
      for (let i = 0; i < 12; i++) await core.deleteNamespacedPod({ namespace: WORK_NS, name: `bulk-${i}`, gracePeriodSeconds: 0 });
    });
  });

  // ── executor ──────────────────────────────────────────────────────────────────────────────

  describe('executePlan', function () {
    const poolPlan = (name: string, current: number, desired: number, removals = 0): PoolPlan =>
      ({ name, tier: 'spot', current, desired, newNodes: Math.max(0, desired - current), removals, availability: 'available', reasons: ['test'] });
    const planOf = (dryRun: boolean, pools: PoolPlan[], nodeActions: NodeAction[], events: PlanEvent[]): Plan => ({
      at: Date.now(), dryRun, pools, nodeActions, pods: [], nodes: [], events, state: emptyState(),
      summary: {
        pendingGpuPods: 0, eligible: 0, fitsExisting: 0, absorbed: 0, scaleUp: 0, deferred: 0, unsatisfiable: 0, newNodes: 0,
        removedNodes: 0, drainingNodes: 0, allocationRatio: 0, spotShare: 0, effectiveSpotMaxShare: 0.6,
      },
    });

    /** Records every call in order, then delegates to the real implementation. */
    const recording = (calls: string[]) => {
      const patcher = new KubeNodePatcher(kc);
      const evictor = new KubeEvictor(kc);
      const recPatcher: NodePatcher = {
        cordon: (n) => (calls.push(`cordon ${n}`), patcher.cordon(n)),
        uncordon: (n) => (calls.push(`uncordon ${n}`), patcher.uncordon(n)),
        taint: (n, t) => (calls.push(`taint ${n} ${t.key}`), patcher.taint(n, t)),
        untaint: (n, k) => (calls.push(`untaint ${n} ${k}`), patcher.untaint(n, k)),
      };
      const recEvictor: Evictor = { apply: (actions, now) => (calls.push(`evict ${actions.map((a) => a.pod.name).join(',')}`), evictor.apply(actions, now)) };
      const recActuator = (a: PoolActuator): PoolActuator => ({
        ref: a.ref,
        observe: () => a.observe(),
        setDesired: (n) => (calls.push(`setDesired ${a.ref.kind === 'clusterApi' ? a.ref.name : ''} ${n}`), a.setDesired(n)),
        markForRemoval: (n) => (calls.push(`mark ${n}`), a.markForRemoval(n)),
      });
      const emitted: PlanEvent[] = [];
      const events: EventSink = { emit: async (e) => void (calls.push(`event ${e.reason}`), emitted.push(e)) };
      return { patcher: recPatcher, evictor: recEvictor, recActuator, events, emitted };
    };

    /** Pool `name` with Machines and Nodes `<name>-1..n`, a pod on node 1 and another on node 1 to force-delete. */
    const setupPool = async (name: string, replicas: number) => {
      await createPool(name, replicas);
      for (let i = 1; i <= replicas; i++) {
        await createMachine(`${name}-m${i}`, name, { phase: 'Running', nodeRef: { kind: 'Node', name: `${name}-${i}` } });
        await createNode(`${name}-${i}`, i === 2 ? { taints: [{ key: 'node-scaler.io/draining', value: '1', effect: 'NoSchedule' }], unschedulable: true } : {});
      }
      const evictUid = await createRunningPod(`${name}-evictee`, `${name}-1`);
      const deleteUid = await createRunningPod(`${name}-forced`, `${name}-1`);
      return { evictUid, deleteUid };
    };

    const actionsFor = (name: string, uids: { evictUid: string; deleteUid: string }, now: number): NodeAction[] => [
      // Deliberately out of order: the executor orders the steps, not the plan.
      { kind: 'uncordon', node: `${name}-2`, reason: 'drain aborted' },
      { kind: 'evict', node: `${name}-1`, pod: { namespace: WORK_NS, name: `${name}-evictee` }, uid: uids.evictUid, graceSeconds: 20, notBefore: now, band: 'low', reason: 'drain' },
      { kind: 'removeNode', pool: name, node: `${name}-3`, reason: 'empty' },
      { kind: 'untaint', node: `${name}-2`, key: 'node-scaler.io/draining', reason: 'drain aborted' },
      { kind: 'forceDelete', node: `${name}-1`, pod: { namespace: WORK_NS, name: `${name}-forced` }, uid: uids.deleteUid, graceSeconds: 0, at: now, reason: 'deadline' },
      { kind: 'taint', node: `${name}-1`, taint: { key: 'node-scaler.io/interrupted', value: '1772452800', effect: 'NoSchedule' }, reason: 'notice' },
      { kind: 'cordon', node: `${name}-1`, reason: 'notice' },
      { kind: 'removeNode', pool: `${name}-y`, node: `${name}-y-ghost`, reason: 'empty' },
    ];

    it('applies a plan in order: cordon/taint → mark → scale → evict → untaint/uncordon → events', async function () {
      this.timeout(60_000);
      const uids = await setupPool('ex', 3);
      await createPool('ex-y', 2);
      const calls: string[] = [];
      const rec = recording(calls);
      const actuators = new Map<string, PoolActuator>([
        ['ex', rec.recActuator(new ClusterApiActuator(kc, mdRef('ex')))],
        ['ex-y', rec.recActuator(new ClusterApiActuator(kc, mdRef('ex-y')))],
        ['ex-z', rec.recActuator(new ClusterApiActuator(kc, mdRef('ex-z')))],
      ]);
      const observed = new Map([['ex', await actuators.get('ex')!.observe()], ['ex-y', await actuators.get('ex-y')!.observe()]]);
      const now = Date.now();
      const event: PlanEvent = { involved: { kind: 'Node', name: 'ex-1' }, type: 'Warning', reason: 'SpotInterruption', message: 'node ex-1 goes away' };
      const plan = planOf(false, [poolPlan('ex', 3, 2, 1), poolPlan('ex-y', 2, 1, 1), poolPlan('ex-z', 1, 2)], actionsFor('ex', uids, now), [event]);
      const deps: ExecutorDeps = { actuators, observed, patcher: rec.patcher, evictor: rec.evictor, events: rec.events, log: silentLogger, now };

      const report = await executePlan(plan, deps);

      expect(calls.slice(0, 2)).to.have.members(['taint ex-1 node-scaler.io/interrupted', 'cordon ex-1']);
      expect(calls.slice(2, 5)).to.have.members(['mark ex-3', 'setDesired ex 2', 'mark ex-y-ghost']);
      expect(calls.indexOf('mark ex-3')).to.be.lessThan(calls.indexOf('setDesired ex 2'));
      expect(calls.slice(5)).to.deep.equal(['evict ex-evictee,ex-forced', 'uncordon ex-2', 'untaint ex-2 node-scaler.io/draining', 'event SpotInterruption']);
      expect(calls, 'a failed mark keeps the replica (2 - 1 + 1 = 2 = current): no write').to.not.include('setDesired ex-y 2');
      expect(calls.some((c) => c.startsWith('setDesired ex-z')), 'an unobserved pool is never scaled').to.equal(false);

      expect(report.dryRun).to.equal(false);
      expect(report.poolsChanged).to.deep.equal([{ pool: 'ex', from: 3, to: 2 }]);
      expect(report.nodeActions).to.equal(5);
      expect(report.evictions.map((e) => [e.pod.name, e.result])).to.deep.equal([['ex-evictee', 'evicted'], ['ex-forced', 'deleted']]);
      expect(report.errors.map((e) => [e.step, e.target])).to.have.deep.members([['removeNode', 'ex-y-ghost'], ['scale', 'ex-z']]);
      expect(rec.emitted).to.deep.equal([event]);

      expect((await getCapi('machinedeployments', 'ex')).spec?.replicas).to.equal(2);
      expect((await getCapi('machinedeployments', 'ex-y')).spec?.replicas).to.equal(2);
      expect((await getCapi('machines', 'ex-m3')).metadata.annotations).to.have.property('cluster.x-k8s.io/delete-machine');
      const n1 = await core.readNode({ name: 'ex-1' });
      expect(n1.spec?.unschedulable).to.equal(true);
      expect(n1.spec?.taints?.filter((t) => ours([t]).length > 0).map((t) => `${t.key}=${t.value}:${t.effect}`)).to.deep.equal(['node-scaler.io/interrupted=1772452800:NoSchedule']);
      const n2 = await core.readNode({ name: 'ex-2' });
      expect(n2.spec?.unschedulable ?? false).to.equal(false);
      expect(ours(n2.spec?.taints)).to.deep.equal([]);
      expect((await readPod('ex-evictee'))?.metadata?.deletionGracePeriodSeconds).to.equal(20);
      expect(await readPod('ex-forced')).to.equal(undefined);
      await core.deleteNamespacedPod({ namespace: WORK_NS, name: 'ex-evictee', gracePeriodSeconds: 0 });
    });

    it('in dry run writes nothing and lists what it would do', async function () {
      this.timeout(60_000);
      const uids = await setupPool('dry', 3);
      const calls: string[] = [];
      const rec = recording(calls);
      const actuator = rec.recActuator(new ClusterApiActuator(kc, mdRef('dry')));
      const observed = new Map([['dry', await actuator.observe()]]);
      const rvs = async () => [
        (await getCapi('machinedeployments', 'dry')).metadata.resourceVersion,
        ...(await Promise.all([1, 2, 3].map((i) => getCapi('machines', `dry-m${i}`)))).map((m) => m.metadata.resourceVersion),
        ...(await Promise.all([1, 2, 3].map((i) => nodeRv(`dry-${i}`)))),
        ...(await Promise.all(['dry-evictee', 'dry-forced'].map(async (p) => (await readPod(p))?.metadata?.resourceVersion))),
      ];
      const before = await rvs();
      const now = Date.now();
      const event: PlanEvent = { involved: { kind: 'Pool', name: 'dry' }, type: 'Normal', reason: 'ScaleDown', message: 'one node fewer' };
      const actions = actionsFor('dry', uids, now).filter((a) => a.kind !== 'removeNode' || a.pool === 'dry');
      const report = await executePlan(planOf(true, [poolPlan('dry', 3, 2, 1)], actions, [event]), {
        actuators: new Map([['dry', actuator]]), observed, patcher: rec.patcher, evictor: rec.evictor, events: rec.events, log: silentLogger, now,
      });

      expect(calls, 'nothing called').to.deep.equal([]);
      expect(await rvs(), 'nothing written').to.deep.equal(before);
      expect(report).to.deep.include({ dryRun: true, poolsChanged: [{ pool: 'dry', from: 3, to: 2 }], nodeActions: 5, evictions: [], errors: [] });
      expect(report.wouldDo).to.deep.equal([
        'taint node dry-1 node-scaler.io/interrupted=1772452800:NoSchedule (notice)',
        'cordon node dry-1 (notice)',
        'mark node dry-3 of pool dry for removal (empty)',
        'set replicas of pool dry from 3 to 2',
        `evict pod ${WORK_NS}/dry-evictee on node dry-1 with grace 20 s now (drain)`,
        `delete pod ${WORK_NS}/dry-forced on node dry-1 with grace 0 s now (deadline)`,
        'uncordon node dry-2 (drain aborted)',
        'untaint node dry-2 node-scaler.io/draining (drain aborted)',
        'event Normal ScaleDown on Pool dry: one node fewer',
      ]);
    });
  });
});
