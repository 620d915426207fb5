/**
 * The node-scaler's operations side against a real kube-apiserver: leader election on a Lease,
 * Events written by KubeEventRecorder as kubectl shows them, and the shipped RBAC
 * (manifests/node-scaler) checked with `kubectl auth can-i`.
 */
import { writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { CoordinationV1Api, CoreV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { KubeEventRecorder, involvedResolver } from '../../src/nodescaler/cluster/event-recorder.js';
import { LeaderElector, type LeaderElectorOptions } from '../../src/kube/leader-election.js';
import { DEFAULT_LEASE_NAME } from '../../src/nodescaler/names.js';
import { parseNodeScalerConfig } from '../../src/nodescaler/config.js';
import { requireBinariesOrSkip, sleep, startControlPlane, waitFor, type ControlPlane } from './harness/index.js';

const NS = 'ai-metrics-adapter';
const SA = 'ai-metrics-adapter-node-scaler';
const SA_USER = `system:serviceaccount:${NS}:${SA}`;
const RETRY_S = 1;
const TIMING = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: RETRY_S };

interface LeaseJson {
  metadata: { resourceVersion: string };
  spec: { holderIdentity?: string; leaseTransitions?: number; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}
interface EventJson {
  metadata: { name: string; namespace: string };
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string; apiVersion?: string };
  reason: string;
  message: string;
  type: string;
  count: number;
  source: { component: string };
  reportingComponent: string;
  reportingInstance: string;
  firstTimestamp: string;
  lastTimestamp: string;
}

/** An elector plus a log of its callbacks. */
interface Candidate {
  elector: LeaderElector;
  started: number;
  stopped: number;
}

describe('e2e node-scaler: leader election, events and RBAC', function () {
  let cp: ControlPlane | undefined;
  const candidates: Candidate[] = [];

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  const getJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await plane().kubectlOk(['get', ...args, '-o', 'json'])) as T;
  const lease = (name: string) => getJson<LeaseJson>('-n', NS, 'lease', name);

  const candidate = (identity: string, over: Partial<LeaderElectorOptions> = {}): Candidate => {
    const c: Candidate = { elector: undefined as unknown as LeaderElector, started: 0, stopped: 0 };
    c.elector = new LeaderElector({
      kubeConfig: plane().kubeConfig(), namespace: NS, name: DEFAULT_LEASE_NAME, identity, ...TIMING,
      onStartedLeading: () => c.started++,
      onStoppedLeading: () => c.stopped++,
      ...over,
    });
    candidates.push(c);
    return c;
  };
  const leaders = (cs: readonly Candidate[]) => cs.filter((c) => c.elector.isLeader());

  before(async function () {
    requireBinariesOrSkip(this);
    this.timeout(240_000);
    cp = await startControlPlane({ withoutControllerManager: true });
    for (const ns of [NS, 'ml', 'capi']) await plane().kubectlOk(['create', 'namespace', ns]);
    // No kube-controller-manager: pod admission needs the namespace's default service account.
    await plane().kubectlOk(['-n', 'ml', 'create', 'serviceaccount', 'default']);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cp) console.log(`control-plane logs:\n${cp.logs()}`);
    await Promise.all(candidates.splice(0).map((c) => c.elector.stop()));
  });

  after(async function () {
    this.timeout(60_000);
    await cp?.stop();
  });

  it('two candidates: exactly one leads, and the Lease names it', async function () {
    this.timeout(60_000);
    const a = candidate('candidate-a', { name: 'two-candidates' });
    const b = candidate('candidate-b', { name: 'two-candidates' });
    a.elector.start();
    b.elector.start();
    const [leader] = await waitFor('one candidate to lead', () => leaders([a, b]).length === 1 && leaders([a, b]), { timeoutMs: 20_000, intervalMs: 50 });
    // Through several renewals: never two leaders, never a change of leader.
    for (let i = 0; i < 40; i++) {
      expect(leaders([a, b]), `sample ${i}`).to.deep.equal([leader]);
      await sleep(100);
    }
    const l = await lease('two-candidates');
    expect(l.spec.holderIdentity).to.equal(leader?.elector.identity);
    expect(l.spec.leaseDurationSeconds).to.equal(TIMING.leaseDurationSeconds);
    expect(l.spec.renewTime, 'MicroTime with microseconds').to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(l.spec.leaseTransitions).to.equal(0);
    expect(a.started + b.started).to.equal(1);
    expect(a.stopped + b.stopped).to.equal(0);
  });

  it('a stopped leader releases the Lease and the standby leads within a retry period or two', async function () {
    this.timeout(60_000);
    const a = candidate('release-a', { name: 'release' });
    a.elector.start();
    await waitFor('release-a to lead', () => a.elector.isLeader(), { timeoutMs: 20_000, intervalMs: 50 });
    const b = candidate('release-b', { name: 'release' });
    b.elector.start();
    await sleep(2 * RETRY_S * 1000);
    expect(b.elector.isLeader(), 'the standby waits while the lease is held').to.equal(false);

    await a.elector.stop();
    const releasedAt = Date.now();
    expect(a.elector.isLeader()).to.equal(false);
    expect(a.stopped).to.equal(1);
    await waitFor('release-b to lead', () => b.elector.isLeader(), { timeoutMs: 20_000, intervalMs: 20 });
    const took = (Date.now() - releasedAt) / 1000;
    // Far below the 4 s lease duration an unreleased lease would need: jittered retry (≤ 1.2 s) plus a slow apiserver.
    expect(took, `standby took ${took.toFixed(2)} s`).to.be.below(2 * RETRY_S * 1.2 + 0.5);
    const l = await lease('release');
    expect(l.spec.holderIdentity).to.equal('release-b');
    expect(l.spec.leaseTransitions, 'a takeover counts a transition').to.equal(1);
  });

  it('a leader whose Lease is taken over by another holder stops leading at once', async function () {
    this.timeout(60_000);
    const a = candidate('stolen-a', { name: 'stolen' });
    a.elector.start();
    await waitFor('stolen-a to lead', () => a.elector.isLeader(), { timeoutMs: 20_000, intervalMs: 50 });
    const api = plane().kubeConfig().makeApiClient(CoordinationV1Api);
    const current = await api.readNamespacedLease({ name: 'stolen', namespace: NS });
    const now = Date.now();
    await api.replaceNamespacedLease({
      name: 'stolen', namespace: NS,
      body: { ...current, spec: { holderIdentity: 'intruder', leaseDurationSeconds: 30, acquireTime: new V1MicroTime(now), renewTime: new V1MicroTime(now), leaseTransitions: 7 } },
    });
    const stolenAt = Date.now();
    await waitFor('stolen-a to stop leading', () => a.stopped === 1, { timeoutMs: 10_000, intervalMs: 20 });
    const took = (Date.now() - stolenAt) / 1000;
    expect(took, `noticed after ${took.toFixed(2)} s`).to.be.below(RETRY_S + 1);
    expect(a.elector.isLeader()).to.equal(false);
    expect(a.elector.observedLeader()).to.equal('intruder');
    await sleep(2 * RETRY_S * 1000);
    expect(a.elector.isLeader(), 'the intruder\'s lease is valid for 30 s').to.equal(false);
    expect((await lease('stolen')).spec.holderIdentity).to.equal('intruder');
  });

  it('a leader that cannot renew within the renew deadline stops leading, even while its requests hang', async function () {
    this.timeout(60_000);
    const proxy = await tcpProxy(new URL(plane().server).port);
    try {
      const kc = plane().kubeConfig();
      const viaProxy = withServer(kc, `https://127.0.0.1:${proxy.port}`);
      const a = candidate('cut-a', { name: 'cut', kubeConfig: viaProxy });
      a.elector.start();
      await waitFor('cut-a to lead', () => a.elector.isLeader(), { timeoutMs: 20_000, intervalMs: 50 });
      proxy.blackhole();
      const cutAt = Date.now();
      await waitFor('cut-a to stop leading', () => a.stopped === 1, { timeoutMs: 15_000, intervalMs: 20 });
      const took = (Date.now() - cutAt) / 1000;
      // The deadline timer fires at the renew deadline; the slack covers a busy 2-core machine's event loop.
      expect(took, `stopped after ${took.toFixed(2)} s`).to.be.at.most(TIMING.renewDeadlineSeconds + 1.5);
      expect(a.elector.isLeader()).to.equal(false);
      // A standby with a working connection takes over once the lease expired.
      const b = candidate('cut-b', { name: 'cut' });
      b.elector.start();
      await waitFor('cut-b to lead', () => b.elector.isLeader(), { timeoutMs: 20_000, intervalMs: 50 });
      expect((await lease('cut')).spec.holderIdentity).to.equal('cut-b');
    } finally {
      await proxy.close();
    }
  });

  it('KubeEventRecorder writes core/v1 Events that kubectl shows, aggregated by count, within a per-tick budget', async function () {
    this.timeout(60_000);
    const core = plane().kubeConfig().makeApiClient(CoreV1Api);
    const pod = await core.createNamespacedPod({
      namespace: 'ml',
      body: { metadata: { name: 'train-0' }, spec: { containers: [{ name: 'c', image: 'registry.invalid/train:1', resources: { limits: { 'nvidia.com/gpu': '8' } } }] } },
    });
    const config = parseNodeScalerConfig({
      pools: [{ name: 'a100-spot', tier: 'spot', gpuModel: 'A100', gpusPerNode: 8, pricePerHour: 12, onDemandReferencePrice: 32, max: 4, actuator: { kind: 'clusterApi', namespace: 'capi', name: 'gpu-a100-spot' } }],
    });
    const uids = new Map([['ml/train-0', pod.metadata?.uid ?? '']]);
    const recorder = new KubeEventRecorder({
      kubeConfig: plane().kubeConfig(), instance: 'node-scaler-e2e', maxWritesPerTick: 5,
      resolve: involvedResolver(config, (_kind, name, namespace) => uids.get(`${namespace}/${name}`)),
    });
    recorder.startTick();
    const scaleUp = { involved: { kind: 'Pod' as const, name: 'train-0', namespace: 'ml' }, type: 'Normal' as const, reason: 'TriggeredScaleUp', message: 'pool a100-spot: 1 new node' };
    await recorder.emit(scaleUp);
    await sleep(1100); // whole-second timestamps: make lastTimestamp move
    await Promise.all([recorder.emit(scaleUp), recorder.emit(scaleUp)]);
    await recorder.emit({ involved: { kind: 'Pool', name: 'a100-spot' }, type: 'Warning', reason: 'PoolBackoff', message: 'spot capacity unavailable' });
    await recorder.emit({ involved: { kind: 'Node', name: 'gpu-node-1' }, type: 'Warning', reason: 'SpotInterruption', message: 'terminate notice' });
    expect(recorder.stats()).to.deep.include({ created: 3, patched: 1, dropped: 0, failed: 0 });

    const events = (await getJson<{ items: EventJson[] }>('-n', 'ml', 'events')).items;
    const mine = events.filter((e) => e.reason === 'TriggeredScaleUp');
    expect(mine, 'one Event for the three occurrences').to.have.length(1);
    const e = mine[0]!;
    expect(e.count).to.equal(3);
    expect(e.type).to.equal('Normal');
    expect(e.message).to.equal('pool a100-spot: 1 new node');
    expect(e.involvedObject).to.deep.include({ kind: 'Pod', name: 'train-0', namespace: 'ml', uid: pod.metadata?.uid, apiVersion: 'v1' });
    expect(e.source.component).to.equal('ai-metrics-adapter-node-scaler');
    expect(e.reportingComponent).to.equal('ai-metrics-adapter-node-scaler');
    expect(e.reportingInstance).to.equal('node-scaler-e2e');
    expect(Date.parse(e.lastTimestamp)).to.be.above(Date.parse(e.firstTimestamp));

    // What a user runs: kubectl describe lists it with the aggregated count.
    const describe = await plane().kubectlOk(['-n', 'ml', 'describe', 'pod', 'train-0']);
    expect(describe).to.match(/Normal\s+TriggeredScaleUp\s+.*\(x3 over .*\)\s+ai-metrics-adapter-node-scaler\s+pool a100-spot: 1 new node/);
    const wide = await plane().kubectlOk(['-n', 'ml', 'get', 'events', '--field-selector', 'reason=TriggeredScaleUp']);
    expect(wide).to.match(/Normal\s+TriggeredScaleUp\s+pod\/train-0\s+pool a100-spot: 1 new node/);

    // Pool events land on the pool's actuator object; node events in `default`.
    const poolEvents = (await getJson<{ items: EventJson[] }>('-n', 'capi', 'events')).items;
    expect(poolEvents.map((x) => [x.involvedObject.kind, x.involvedObject.name, x.involvedObject.apiVersion, x.reason]))
      .to.deep.equal([['MachineDeployment', 'gpu-a100-spot', 'cluster.x-k8s.io/v1beta1', 'PoolBackoff']]);
    const nodeEvents = (await getJson<{ items: EventJson[] }>('-n', 'default', 'events')).items.filter((x) => x.reason === 'SpotInterruption');
    expect(nodeEvents.map((x) => [x.involvedObject.kind, x.involvedObject.name])).to.deep.equal([['Node', 'gpu-node-1']]);

    // A flood in the same tick: 4 of the 5 writes are used above, so 1 more Event, 19 dropped.
    for (let i = 0; i < 20; i++) await recorder.emit({ involved: { kind: 'Pod', name: `pending-${i}`, namespace: 'ml' }, type: 'Normal', reason: 'NotTriggerScaleUp', message: 'no pool fits' });
    const tick = recorder.startTick();
    expect(tick.created + tick.patched).to.equal(5);
    expect(tick.dropped).to.equal(19);
    const flood = (await getJson<{ items: EventJson[] }>('-n', 'ml', 'events')).items.filter((x) => x.reason === 'NotTriggerScaleUp');
    expect(flood).to.have.length(1);
    // The next tick has a fresh budget.
    await recorder.emit({ involved: { kind: 'Pod', name: 'pending-19', namespace: 'ml' }, type: 'Normal', reason: 'NotTriggerScaleUp', message: 'no pool fits' });
    expect(recorder.stats()).to.deep.include({ created: 1, dropped: 0 });
  });

  it('the shipped RBAC applies and grants the node-scaler exactly its job', async function () {
    this.timeout(120_000);
    // kubectl auth can-i resolves `machinedeployments.cluster.x-k8s.io` through discovery: serve
    // the Cluster API kinds (schema-less stand-ins for the real CRDs, same names and scale subresource).
    const crds = join(plane().dir, 'capi-crds.yaml');
    writeFileSync(crds, CAPI_KINDS.map(([kind, plural]) => capiCrd(kind, plural)).join('---\n'));
    await plane().kubectlOk(['apply', '-f', crds]);
    await plane().kubectlOk(['wait', '--for=condition=Established', '-f', crds, '--timeout=60s']);
    await plane().kubectlOk(['apply', '--server-side', '--dry-run=server', '-k', 'manifests/node-scaler']);
    await plane().kubectlOk(['apply', '--server-side', '-k', 'manifests/node-scaler']);
    const canI = async (...args: string[]): Promise<boolean> => {
      const r = await plane().kubectl(['auth', 'can-i', ...args, `--as=${SA_USER}`]);
      if (r.code !== 0 && r.stdout.trim() !== 'no') throw new Error(`kubectl auth can-i ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim() === 'yes';
    };
    await waitFor('the ClusterRoleBinding to take effect', () => canI('list', 'nodes'), { timeoutMs: 20_000 });
    const allowed: string[][] = [
      // TYPE/NAME is a resource name for can-i: a subresource goes in --subresource.
      ['create', 'pods', '--subresource=eviction', '-n', 'ml'],
      ['patch', 'machinedeployments.cluster.x-k8s.io', '--subresource=scale', '-n', 'capi'],
      ['update', 'machinedeployments.cluster.x-k8s.io', '--subresource=scale', '-n', 'capi'],
      ['patch', 'machines.cluster.x-k8s.io', '-n', 'capi'],
      ['patch', 'nodes'],
      ['delete', 'pods', '-n', 'ml'],
      ['create', 'events', '-n', 'ml'],
      ['patch', 'events', '-n', 'default'],
      ['list', 'poddisruptionbudgets.policy', '-A'],
      ['create', 'leases.coordination.k8s.io', '-n', NS],
      ['update', 'leases.coordination.k8s.io/ai-metrics-adapter-node-scaler', '-n', NS],
    ];
    const denied: string[][] = [
      ['delete', 'nodes'],
      ['get', 'secrets', '-n', NS],
      ['list', 'secrets', '-A'],
      ['patch', 'machinedeployments.cluster.x-k8s.io', '-n', 'capi'],
      ['delete', 'machines.cluster.x-k8s.io', '-n', 'capi'],
      ['update', 'pods', '-n', 'ml'],
      ['create', 'pods', '-n', 'ml'],
      ['update', 'leases.coordination.k8s.io/someone-else', '-n', NS],
      ['create', 'leases.coordination.k8s.io', '-n', 'ml'],
      ['*', '*'],
    ];
    for (const args of allowed) expect(await canI(...args), `can ${args.join(' ')}`).to.equal(true);
    for (const args of denied) expect(await canI(...args), `cannot ${args.join(' ')}`).to.equal(false);

    // The Role is enough for leader election as the service account itself.
    const saKubeconfig = await plane().serviceAccountKubeconfig(NS, SA);
    const c = candidate('node-scaler-0', { kubeConfig: plane().kubeConfig(saKubeconfig) });
    c.elector.start();
    await waitFor('the service account to lead on the default Lease', () => c.elector.isLeader(), { timeoutMs: 20_000, intervalMs: 50 });
    expect((await lease('ai-metrics-adapter-node-scaler')).spec.holderIdentity).to.equal('node-scaler-0');
    await c.elector.stop();
    expect((await lease('ai-metrics-adapter-node-scaler')).spec.holderIdentity, 'released as the service account').to.equal(undefined);
  });
});

const CAPI_KINDS: ReadonlyArray<[string, string]> = [
  ['MachineDeployment', 'machinedeployments'], ['MachineSet', 'machinesets'], ['MachinePool', 'machinepools'], ['Machine', 'machines'], ['Cluster', 'clusters'],
];

function capiCrd(kind: string, plural: string): string {
  const scalable = kind !== 'Machine' && kind !== 'Cluster';
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.cluster.x-k8s.io
spec:
  group: cluster.x-k8s.io
  scope: Namespaced
  names: {kind: ${kind}, plural: ${plural}, singular: ${kind.toLowerCase()}, listKind: ${kind}List}
  versions:
    - name: v1beta1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
${scalable ? '      subresources:\n        scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}\n' : ''}`;
}

/** The same credentials against another server URL (the TLS name stays 127.0.0.1). */
function withServer(kc: KubeConfig, server: string): KubeConfig {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster || !user) throw new Error('no current cluster/user');
  const copy = new KubeConfig();
  copy.loadFromClusterAndUser({ ...cluster, server }, user);
  return copy;
}

/**
 * A loopback TCP proxy to kube-apiserver. blackhole() makes it swallow traffic without answering —
 * a partitioned network, where requests hang rather than fail fast.
 */
async function tcpProxy(targetPort: string): Promise<{ port: number; blackhole(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let dropping = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (dropping) return; // accept and never answer
    const upstream = connect(Number(targetPort), '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('data', (chunk) => {
      if (!dropping) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!dropping) client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    blackhole() {
      dropping = true;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
