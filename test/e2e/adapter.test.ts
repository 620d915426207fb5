/**
 * Issue 5's scenarios against a real control plane (etcd, kube-apiserver with the aggregator,
 * kube-controller-manager's HPA controller, kubectl 1.33, the fake kubelet): the adapter runs as a
 * process, installed with the shipped manifests (support/installed-adapter.ts says what the e2e
 * overlay changes and why), reading a real Redis with real BullMQ jobs and a dcgm-exporter
 * fixture. One control plane for the whole file.
 *
 * HPAs here set short behavior windows (KCM keeps its 5-minute scale-down default) and the
 * adapter polls every second, so every step happens within a few 2 s HPA syncs.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AppsV1Api, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { Queue, Worker } from 'bullmq';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { parseQuantity } from '../../src/apiserver/index.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import type { GpuFixture } from '../helpers/fixture-text.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import {
  REPO_ROOT,
  requireBinariesOrSkip,
  sleep,
  startControlPlane,
  startFakeKubelet,
  waitFor,
  type ControlPlane,
  type FakeKubelet,
} from './harness/index.js';
import { ADAPTER_NAMESPACE, APISERVICES, copyShippedManifests, installAdapter, yamlDocuments, type InstalledAdapter } from './support/installed-adapter.js';

const NS = 'ai-models';
const HPA_SA = 'system:serviceaccount:kube-system:horizontal-pod-autoscaler';
const CUSTOM = '/apis/custom.metrics.k8s.io/v1beta2';
const EXTERNAL = '/apis/external.metrics.k8s.io/v1beta1';

interface Condition { type: string; status: string; reason?: string; message?: string }
interface ApiService { metadata: { name: string }; spec: { caBundle?: string; insecureSkipTLSVerify?: boolean; service: { name: string; namespace: string; port: number } }; status?: { conditions?: Condition[] } }
interface Hpa {
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    conditions?: Condition[];
    currentMetrics?: { type: string; pods?: { current: { averageValue?: string } }; external?: { current: { averageValue?: string; value?: string } } }[];
  };
}
interface MetricValueList { kind: string; items: { describedObject: { kind: string; name: string; namespace?: string }; metric: { name: string }; value: string }[] }
interface ExternalMetricValueList { kind: string; items: { metricName: string; metricLabels: Record<string, string>; value: string }[] }
interface ApiResourceList { kind: string; groupVersion: string; resources: { name: string; namespaced: boolean; kind: string; verbs: string[] }[] }

describe('e2e: the adapter behind kube-apiserver, scaled on by a real HPA controller', function () {
  let cp: ControlPlane | undefined;
  let kubelet: FakeKubelet | undefined;
  let redis: RedisServer | undefined;
  let fixture: FixtureServer | undefined;
  let adapter: InstalledAdapter | undefined;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  const kubeletLog: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  const installed = (): InstalledAdapter => {
    if (!adapter) throw new Error('adapter not installed');
    return adapter;
  };
  const dcgm = (): FixtureServer => {
    if (!fixture) throw new Error('fixture server not started');
    return fixture;
  };
  const redisServer = (): RedisServer => {
    if (!redis) throw new Error('redis not started');
    return redis;
  };
  const getJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await plane().kubectlOk(['get', ...args, '-o', 'json'])) as T;
  const raw = async <T>(path: string, kubeconfig?: string): Promise<T> =>
    JSON.parse(await plane().kubectlOk(['get', '--raw', path], kubeconfig ? { kubeconfig } : {})) as T;
  const applyObjects = async (name: string, objects: readonly object[]): Promise<void> => {
    const file = join(plane().dir, `${name}.yaml`);
    writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
    await plane().kubectlOk(['apply', '-f', file]);
  };
  /** Status of a workload for failure messages: HPA, Deployment, pods, events, adapter log. */
  const describeWorkload = (name: string) => async (): Promise<string> => {
    const run = (args: string[]) => plane().kubectlOk(args).catch((e: Error) => e.message);
    return [
      await run(['-n', NS, 'describe', 'hpa', name]),
      await run(['-n', NS, 'get', 'deploy', name, '-o', 'yaml']),
      await run(['-n', NS, 'get', 'pods', '-l', `app=${name}`, '-o', 'wide']),
      await run(['-n', NS, 'get', 'events', '--field-selector', `involvedObject.name=${name}`]),
      `----- dcgm fixture pods: ${dcgm().state.gpus.map((g) => `${g.pod?.name ?? '-'}=${g.util ?? '-'}`).join(' ')}`,
      `----- adapter log -----\n${adapter?.logTail(30) ?? ''}`,
    ].join('\n');
  };
  const deployment = (name: string): Promise<V1Deployment> => apps.readNamespacedDeployment({ namespace: NS, name });
  const waitReplicas = (name: string, replicas: number, timeoutMs = 90_000) =>
    waitFor(`deployment ${NS}/${name} at ${replicas} replicas, all Ready`, async () => {
      const d = await deployment(name);
      return d.spec?.replicas === replicas && d.status?.replicas === replicas && d.status.readyReplicas === replicas;
    }, { timeoutMs, intervalMs: 300, describe: describeWorkload(name) });
  /** Fails unless spec.replicas stays `replicas` for `ms` (sampled every 250 ms). */
  const holdReplicas = async (name: string, replicas: number, ms: number, also?: () => Promise<void>) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const d = await deployment(name);
      if (d.spec?.replicas !== replicas) {
        throw new Error(`deployment ${NS}/${name} moved to ${d.spec?.replicas} replicas while it had to hold ${replicas}\n${await describeWorkload(name)()}`);
      }
      await also?.();
      await sleep(250);
    }
  };
  const podNames = async (app: string): Promise<string[]> => {
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` });
    return pods.items
      .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running')
      .map((p) => p.metadata?.name ?? '')
      .sort();
  };
  const deleteWorkload = async (name: string) => {
    await plane().kubectl(['-n', NS, 'delete', 'hpa,deployment', name, '--ignore-not-found', '--wait=false']);
  };

  /** Waits for Available=True on the three APIServices; prints them and the adapter log otherwise. */
  let available: Promise<void> | undefined;
  function waitAvailable(): Promise<void> {
    available ??= waitFor('the three APIServices to be Available=True', async () => {
      const list = await getJson<{ items: ApiService[] }>('apiservices');
      return APISERVICES.every((name) => list.items.find((s) => s.metadata.name === name)?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True'));
    }, {
      timeoutMs: 90_000,
      intervalMs: 500,
      describe: async () => `${await plane().kubectlOk(['get', 'apiservices', ...APISERVICES, '-o', 'yaml']).catch((e: Error) => e.message)}\n----- adapter log -----\n${adapter?.logTail(40) ?? ''}`,
    }).then(() => undefined);
    return available;
  }

  before(async function () {
    requireBinariesOrSkip(this);
    this.timeout(240_000);
    cp = await startControlPlane();
    kubelet = await startFakeKubelet(cp.kubeConfig(), { namespaces: [NS], log: (line) => kubeletLog.push(`${new Date().toISOString()} ${line}`) });
    apps = cp.kubeConfig().makeApiClient(AppsV1Api);
    core = cp.kubeConfig().makeApiClient(CoreV1Api);
    await cp.kubectlOk(['create', 'namespace', NS]);
    redis = await startRedis();
    fixture = await FixtureServer.start();
    fixture.state.gpus = [];
    adapter = await installAdapter(cp, { redisUrl: redis.url, dcgmUrl: fixture.url('/dcgm') });
  });

  afterEach(async function () {
    this.timeout(60_000);
    if (this.currentTest?.state === 'failed' && cp) {
      console.log(`control-plane logs:\n${cp.logs()}\nkubelet:\n${kubeletLog.slice(-30).join('\n')}\n----- adapter log -----\n${adapter?.logTail(60) ?? ''}`);
    }
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err: unknown) => console.log(`cleanup failed: ${String(err)}`));
  });

  after(async function () {
    this.timeout(90_000);
    const steps: [string, (() => Promise<void>) | undefined][] = [
      ['adapter', adapter?.stop],
      ['fixture server', fixture ? () => dcgm().close() : undefined],
      ['redis', redis ? () => redisServer().cleanup() : undefined],
      ['fake kubelet', kubelet?.stop],
      ['control plane', cp?.stop],
    ];
    for (const [what, step] of steps) await step?.().catch((err: unknown) => console.log(`stopping ${what} failed: ${String(err)}`));
  });

  it('1. kubectl get apiservices shows the three APIServices Available=True', async function () {
    this.timeout(120_000);
    await waitAvailable();
    const table = await plane().kubectlOk(['get', 'apiservices']);
    console.log(table.split('\n').filter((l) => /^NAME|metrics\.k8s\.io/.test(l)).map((l) => `      ${l}`).join('\n'));
    for (const name of APISERVICES) {
      expect(table, name).to.match(new RegExp(`^${name.replace(/\./g, '\\.')}\\s+${ADAPTER_NAMESPACE}/ai-metrics-adapter\\s+True\\s`, 'm'));
    }
    // As shipped (ca-bundle overlay): the aggregator verifies the adapter against the caBundle.
    const ca = readFileSync(installed().servingCaFile).toString('base64');
    for (const name of APISERVICES) {
      const svc = await getJson<ApiService>('apiservice', name);
      expect(svc.spec.caBundle, `${name} caBundle`).to.equal(ca);
      expect(svc.spec.insecureSkipTLSVerify ?? false).to.equal(false);
      expect(svc.spec.service).to.deep.equal({ name: 'ai-metrics-adapter', namespace: ADAPTER_NAMESPACE, port: installed().securePort });
    }
  });

  it('2. kubectl get --raw through kube-apiserver: discovery, GPU duty cycle per pod, BullMQ queue depth', async function () {
    this.timeout(120_000);
    await waitAvailable();

    // Discovery of both groups, served by the aggregator (group) and the adapter (versions).
    const group = await raw<{ preferredVersion: { version: string }; versions: { version: string }[] }>('/apis/custom.metrics.k8s.io');
    expect(group.preferredVersion.version).to.equal('v1beta2');
    expect(group.versions.map((v) => v.version)).to.have.members(['v1beta2', 'v1beta1']);
    for (const path of [CUSTOM, '/apis/custom.metrics.k8s.io/v1beta1']) {
      const list = await raw<ApiResourceList>(path);
      expect(list.kind).to.equal('APIResourceList');
      expect(list.groupVersion).to.equal(path.slice('/apis/'.length));
      expect(list.resources.map((r) => r.name)).to.include.members(['pods/nvidia_gpu_duty_cycle', 'nodes/nvidia_gpu_duty_cycle']);
    }
    const external = await raw<ApiResourceList>(EXTERNAL);
    expect(external.groupVersion).to.equal('external.metrics.k8s.io/v1beta1');
    expect(external.resources.map((r) => r.name)).to.include('redis_queue_depth');

    // Pods of a real Deployment; the DCGM fixture reports GPUs for exactly those pod names.
    const app = 'llm-inference';
    cleanups.push(() => deleteWorkload(app));
    await applyObjects(app, [deploymentObject(app, 2)]);
    await waitReplicas(app, 2);
    const [first = '', second = ''] = await podNames(app);
    // Two GPUs at 80 % and 60 % in the first pod (its value is their mean), one at 40 % in the second.
    dcgm().state.gpus = [gpu(0, first, 80), gpu(1, first, 60), gpu(2, second, 40)];
    const path = `${CUSTOM}/namespaces/${NS}/pods/*/nvidia_gpu_duty_cycle?labelSelector=${encodeURIComponent(`app=${app}`)}`;
    const pods = await waitFor(`kubectl get --raw ${path} to list both pods`, async () => {
      const list = await raw<MetricValueList>(path);
      return list.items.length === 2 ? list : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, describe: describeWorkload(app) });
    expect(pods.kind).to.equal('MetricValueList');
    const values = Object.fromEntries(pods.items.map((i) => [i.describedObject.name, parseQuantity(i.value)]));
    expect(values).to.deep.equal({ [first]: 70, [second]: 40 });
    for (const item of pods.items) {
      expect(item.describedObject).to.include({ kind: 'Pod', namespace: NS });
      expect(item.metric.name).to.equal('nvidia_gpu_duty_cycle');
    }

    // Seven real BullMQ jobs in stt-queue.
    const queue = new Queue('stt-queue', { connection: { host: '127.0.0.1', port: redisServer().port } });
    cleanups.push(() => queue.close());
    await queue.addBulk(Array.from({ length: 7 }, (_, i) => ({ name: 'transcribe', data: { i } })));
    const queuePath = `${EXTERNAL}/namespaces/${NS}/redis_queue_depth?labelSelector=${encodeURIComponent('queue_name=stt-queue')}`;
    const depth = await waitFor(`kubectl get --raw ${queuePath} to show 7 jobs`, async () => {
      const list = await raw<ExternalMetricValueList>(queuePath);
      return list.items.length === 1 && parseQuantity(list.items[0]?.value ?? '') === 7 ? list : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, describe: () => `adapter log:\n${installed().logTail(30)}` });
    expect(depth.kind).to.equal('ExternalMetricValueList');
    expect(depth.items[0]?.metricName).to.equal('redis_queue_depth');
    expect(depth.items[0]?.metricLabels).to.include({ queue_name: 'stt-queue', queue_type: 'total' });
  });

  it('3. an HPA on redis_queue_depth (External, AverageValue 5) takes 2 replicas to 8 for 40 BullMQ jobs, and back to minReplicas when drained', async function () {
    this.timeout(180_000);
    await waitAvailable();
    const app = 'asr-worker';
    const queueName = 'asr-queue';
    cleanups.push(() => deleteWorkload(app));
    await applyObjects(app, [deploymentObject(app, 2)]);
    await waitReplicas(app, 2);
    const connection = { host: '127.0.0.1', port: redisServer().port };
    const queue = new Queue(queueName, { connection });
    cleanups.push(() => queue.close());
    const replicas = recordReplicas(app);
    await applyObjects(`${app}-hpa`, [hpaObject(app, 2, 10, queueMetric(queueName, '5'))]);

    // One transaction: the HPA never sees part of the backlog. desired = ceil(40 / 5) = 8.
    await queue.addBulk(Array.from({ length: 40 }, (_, i) => ({ name: 'transcribe', data: { i } })));
    await waitReplicas(app, 8);
    await holdReplicas(app, 8, 6_000); // three syncs at exactly the target: 40 jobs / 8 replicas = 5
    const busy = await getJson<Hpa>('-n', NS, 'hpa', app);
    expect(busy.status?.currentMetrics?.[0]?.external?.current.averageValue).to.equal('5');
    expect(condition(busy, 'ScalingActive')).to.include({ status: 'True', reason: 'ValidMetricFound' });
    expect(replicas.history, 'replica counts the Deployment went through').to.deep.equal([2, 8]);

    // A real BullMQ worker drains the queue: 0 jobs → desired 0 → clamped to minReplicas 2.
    const worker = new Worker(queueName, async () => undefined, { connection, concurrency: 8 });
    cleanups.push(() => worker.close());
    await waitFor(`a BullMQ worker to drain ${queueName}`, async () => {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0) && (await queue.getJobCounts('completed')).completed === 40;
    }, { timeoutMs: 30_000, intervalMs: 250, describe: async () => JSON.stringify(await queue.getJobCounts()) });
    await waitReplicas(app, 2);
    await holdReplicas(app, 2, 4_000);
    const idle = await getJson<Hpa>('-n', NS, 'hpa', app);
    expect(idle.status?.currentMetrics?.[0]?.external?.current.averageValue).to.equal('0');
    expect(condition(idle, 'ScalingLimited')).to.include({ status: 'True', reason: 'TooFewReplicas' });
    // The worker drains over a few polls, so the HPA may pass a step on the way down (e.g. 8 → 3 → 2), never up.
    const down = replicas.history.slice(1);
    expect(down[0]).to.equal(8);
    expect(down[down.length - 1]).to.equal(2);
    expect(down, `${replicas.history.join(' → ')} only goes down after 8`).to.deep.equal([...down].sort((a, b) => b - a));
  });

  it('4. an HPA on nvidia_gpu_duty_cycle (Pods, AverageValue 60) grows by the HPA ratio at 90 % and shrinks at 30 %', async function () {
    this.timeout(180_000);
    await waitAvailable();
    const app = 'lipsync-worker';
    cleanups.push(() => deleteWorkload(app));
    await applyObjects(app, [deploymentObject(app, 2)]);
    await waitReplicas(app, 2);
    const initial = await podNames(app);
    dcgm().state.gpus = initial.map((pod, i) => gpu(i, pod, 90));
    await waitGpuValues(app, initial, 90);
    const replicas = recordReplicas(app);
    await applyObjects(`${app}-hpa`, [hpaObject(app, 1, 6, {
      type: 'Pods',
      pods: { metric: { name: 'nvidia_gpu_duty_cycle' }, target: { type: 'AverageValue', averageValue: '60' } },
    })]);

    // 2 pods at 90 against 60: ceil(2 × 90 / 60) = 3.
    await waitReplicas(app, 3);
    // The new pod has no GPU sample yet. Scaling up, the HPA counts it at 0: (90 + 90 + 0) / 3 = 60,
    // exactly the target, so it holds at 3.
    await holdReplicas(app, 3, 6_000);
    expect(replicas.history, 'first step').to.deep.equal([2, 3]);

    // From now on every Running pod reports `duty` %: 3 → ceil(3 × 1.5) = 5 → ceil(5 × 1.5) = 8,
    // capped at maxReplicas 6 (a 4-of-5 sample also gives ceil(5 × 72 / 60) = 6).
    let duty = 90;
    followPods(app, () => duty);
    await waitReplicas(app, 6);
    await holdReplicas(app, 6, 4_000);
    const hot = await getJson<Hpa>('-n', NS, 'hpa', app);
    expect(hot.status?.currentMetrics?.[0]?.pods?.current.averageValue).to.equal('90');
    expect(condition(hot, 'ScalingLimited')).to.include({ status: 'True', reason: 'TooManyReplicas' });
    expect(replicas.history).to.deep.equal([2, 3, 5, 6]);

    // 30 % on all six (one scrape): ceil(6 × 30 / 60) = 3 → ceil(3 × 0.5) = 2 → ceil(2 × 0.5) = 1 = minReplicas.
    await waitGpuValues(app, await podNames(app), 90);
    duty = 30;
    await waitReplicas(app, 1);
    await holdReplicas(app, 1, 4_000);
    const cool = await getJson<Hpa>('-n', NS, 'hpa', app);
    expect(cool.status?.currentMetrics?.[0]?.pods?.current.averageValue).to.equal('30');
    expect(replicas.history).to.deep.equal([2, 3, 5, 6, 3, 2, 1]);
  });

  it('5. Redis stopped: the HPA reports the metric as failed and holds its replicas (no scale-in)', async function () {
    this.timeout(180_000);
    await waitAvailable();
    const app = 'outage-worker';
    const queueName = 'outage-queue';
    cleanups.push(() => deleteWorkload(app));
    await applyObjects(app, [deploymentObject(app, 2)]);
    await waitReplicas(app, 2);
    const connection = { host: '127.0.0.1', port: redisServer().port };
    const queue = new Queue(queueName, { connection });
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'job', data: { i } })));
    await queue.close();
    const replicas = recordReplicas(app);
    await applyObjects(`${app}-hpa`, [hpaObject(app, 1, 10, queueMetric(queueName, '5'))]);
    await waitReplicas(app, 4); // ceil(20 / 5)
    const hpaNow = () => getJson<Hpa>('-n', NS, 'hpa', app);
    expect(condition(await hpaNow(), 'ScalingActive')).to.include({ status: 'True' });

    await redisServer().stop();
    cleanups.push(async () => {
      if (redis) await redis.start().catch(() => undefined); // already running after the recovery below
    });
    const failed = await waitFor('the HPA to report the external metric as failed (ScalingActive=False)', async () => {
      const c = condition(await hpaNow(), 'ScalingActive');
      return c?.status === 'False' ? c : undefined;
    }, { timeoutMs: 30_000, intervalMs: 300, describe: describeWorkload(app) });
    expect(failed.reason).to.equal('FailedGetExternalMetric');
    expect(failed.message).to.contain('redis_queue_depth');
    // What the HPA got, through kube-apiserver: 503 with the adapter's reason.
    const direct = await plane().kubectl(['get', '--raw', `${EXTERNAL}/namespaces/${NS}/redis_queue_depth?labelSelector=${encodeURIComponent(`queue_name=${queueName}`)}`]);
    expect(direct.code).to.not.equal(0);
    expect(direct.stderr).to.match(/ServiceUnavailable/);
    expect(direct.stderr).to.match(/bullmq/i);
    // Five more syncs: still 4 replicas, still failing (a 0 instead of an error would scale in to 1).
    await holdReplicas(app, 4, 10_000, async () => {
      expect(condition(await hpaNow(), 'ScalingActive')?.status, 'ScalingActive while Redis is down').to.equal('False');
    });
    const events = await plane().kubectlOk(['-n', NS, 'get', 'events', '--field-selector', `involvedObject.name=${app},reason=FailedGetExternalMetric`, '-o', 'name']);
    expect(events.trim(), 'FailedGetExternalMetric events').to.not.equal('');
    expect(replicas.history).to.deep.equal([2, 4]);

    // Redis back (empty): the adapter reconnects and the HPA acts again, on 10 new jobs: ceil(10 / 5) = 2.
    await redisServer().start();
    const again = new Queue(queueName, { connection });
    cleanups.push(() => again.close());
    await again.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'job', data: { i } })));
    await waitReplicas(app, 2, 60_000);
    expect(condition(await hpaNow(), 'ScalingActive')).to.include({ status: 'True' });
    expect(replicas.history).to.deep.equal([2, 4, 2]);
  });

  it('6. a user without RBAC gets 403; the HPA controller\'s service account is allowed by the shipped ClusterRole', async function () {
    this.timeout(120_000);
    await waitAvailable();
    const gpuPath = `${CUSTOM}/namespaces/${NS}/pods/*/nvidia_gpu_duty_cycle?labelSelector=app%3Dnone`;
    const queuePath = `${EXTERNAL}/namespaces/${NS}/redis_queue_depth?labelSelector=queue_name%3Dstt-queue`;

    // Through kube-apiserver, impersonated: RBAC there refuses before anything is proxied.
    for (const path of [gpuPath, queuePath]) {
      const r = await plane().kubectl(['--as=nobody', 'get', '--raw', path]);
      expect(r.code, `kubectl --as=nobody get --raw ${path}`).to.not.equal(0);
      expect(r.stderr).to.match(/Error from server \(Forbidden\)/);
      expect(r.stderr).to.contain('User "nobody" cannot');
    }
    // Straight at the adapter (a client certificate from the cluster CA): its own delegated
    // authorization (SubjectAccessReview) refuses too.
    const nobody = installed().direct(await plane().clientCertKubeconfig('nobody'));
    const denied = await plane().kubectl(['get', '--raw', gpuPath], { kubeconfig: nobody });
    expect(denied.code).to.not.equal(0);
    expect(denied.stderr).to.match(/Error from server \(Forbidden\).*User "nobody" cannot get resource "pods\/nvidia_gpu_duty_cycle" in API group "custom.metrics.k8s.io"/);

    // The HPA controller's identity (KCM runs with --use-service-account-credentials).
    const gpuAttributes = { group: 'custom.metrics.k8s.io', version: 'v1beta2', resource: 'pods', subresource: 'nvidia_gpu_duty_cycle', name: '*', namespace: NS, verb: 'get' };
    const queueAttributes = { group: 'external.metrics.k8s.io', version: 'v1beta1', resource: 'redis_queue_depth', namespace: NS, verb: 'list' };
    // kubectl auth can-i maps its argument through discovery: external metrics are resources
    // there, custom metrics only `pods/<metric>` (as in every custom metrics adapter), so for
    // those kubectl would review group "" and resource "pods.custom.metrics.k8s.io" literally.
    // SubjectAccessReviews name group, resource and subresource exactly.
    const canI = (...args: string[]) => plane().kubectl(['auth', 'can-i', ...args, '-n', NS, `--as=${HPA_SA}`]);
    expect((await canI('list', 'redis_queue_depth.external.metrics.k8s.io')).stdout.trim()).to.equal('yes');
    expect(await sar(HPA_SA, gpuAttributes)).to.include({ allowed: true });
    expect(await sar(HPA_SA, queueAttributes)).to.include({ allowed: true });

    // Both the bootstrap role system:controller:horizontal-pod-autoscaler and the shipped
    // ClusterRole allow it. To show the shipped one is enough on its own: remove both bindings
    // (the SAR must then deny, so nothing else grants it), re-apply the shipped manifests, and the
    // only binding that allows it is the shipped one. The bootstrap binding is restored after.
    const bootstrap = 'system:controller:horizontal-pod-autoscaler';
    const shipped = 'ai-metrics-adapter:hpa-controller-metrics-reader';
    const saved = await getJson<{ metadata: Record<string, unknown> }>('clusterrolebinding', bootstrap);
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation']) delete saved.metadata[k];
    const savedFile = join(plane().dir, 'bootstrap-hpa-binding.json');
    writeFileSync(savedFile, JSON.stringify(saved));
    try {
      await plane().kubectlOk(['delete', 'clusterrolebinding', bootstrap, shipped]);
      await waitFor('SubjectAccessReviews for the HPA controller to be denied without both bindings', async () =>
        !(await sar(HPA_SA, gpuAttributes)).allowed && !(await sar(HPA_SA, queueAttributes)).allowed,
      { timeoutMs: 20_000, intervalMs: 250, describe: bindings });
      await plane().kubectlOk(['apply', '--server-side', '-k', installed().overlayDir]);
      for (const attributes of [gpuAttributes, queueAttributes]) {
        const review = await waitFor(`a SubjectAccessReview for ${attributes.resource} to allow the HPA controller again`, async () => {
          const status = await sar(HPA_SA, attributes);
          return status.allowed ? status : undefined;
        }, { timeoutMs: 20_000, intervalMs: 250, describe: bindings });
        expect(review.reason).to.contain(`ClusterRoleBinding "${shipped}" of ClusterRole "ai-metrics-adapter:metrics-reader"`);
      }
      expect((await canI('list', 'redis_queue_depth.external.metrics.k8s.io')).stdout.trim()).to.equal('yes');
      // The adapter's own SubjectAccessReview for the controller's token agrees (a namespace no
      // HPA asked about, so no cached decision answers).
      const hpaDirect = installed().direct(await plane().serviceAccountKubeconfig('kube-system', 'horizontal-pod-autoscaler'));
      const list = await raw<MetricValueList>(`${CUSTOM}/namespaces/default/pods/*/nvidia_gpu_duty_cycle`, hpaDirect);
      expect(list.kind).to.equal('MetricValueList');
    } finally {
      // Restored whatever happened above, so the control plane stays usable for what follows.
      await restoreBinding(savedFile, bootstrap);
    }
  });

  it('7. kubectl apply --server-side --dry-run=server accepts every shipped manifest variant and the HPA examples', async function () {
    this.timeout(180_000);
    await waitAvailable();
    const dir = join(plane().dir, 'dry-run');
    mkdirSync(dir);
    const manifests = copyShippedManifests(dir);
    const gen = await runScript('bash', [join(REPO_ROOT, 'scripts/gen-serving-cert.sh'), join(manifests, 'ca-bundle')]);
    expect(gen).to.contain('wrote');
    const served = new Set((await plane().kubectlOk(['api-versions'])).split('\n').map((l) => l.trim()).filter(Boolean));
    const needsCrd = (d: Record<string, unknown>) => !served.has(String(d.apiVersion));
    const describeDoc = (d: Record<string, unknown>) => `${String(d.kind)} ${String((d.metadata as { name?: string } | undefined)?.name)} (${String(d.apiVersion)})`;

    const overlay = (name: string, resources: string[], components: string[]) => {
      const o = join(dir, 'variants', name);
      mkdirSync(o, { recursive: true });
      writeFileSync(join(o, 'kustomization.yaml'), stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization',
        resources: resources.map((r) => relative(o, join(manifests, r))),
        components: components.map((c) => relative(o, join(manifests, c))),
      }));
      return o;
    };
    const variants: [string, string][] = [
      ['base', join(manifests, 'base')],
      ['ca-bundle (certificates from scripts/gen-serving-cert.sh)', join(manifests, 'ca-bundle')],
      ['cert-manager', join(manifests, 'cert-manager')],
      // keda and keda/mtls are kustomize Components: applied the way docs/keda.md says, on a base.
      ['ca-bundle + keda component', overlay('keda', ['ca-bundle'], ['keda'])],
      ['cert-manager + keda + keda/mtls components', overlay('keda-mtls', ['cert-manager'], ['keda', 'keda/mtls'])],
    ];
    const skippedCrd: string[] = [];
    for (const [name, kustomization] of variants) {
      const docs = yamlDocuments(await plane().kubectlOk(['kustomize', kustomization]));
      const needing = docs.filter(needsCrd);
      let out: string;
      if (needing.length === 0) {
        out = await plane().kubectlOk(['apply', '--server-side', '--dry-run=server', '-k', kustomization]);
      } else {
        const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.yaml`);
        writeFileSync(file, docs.filter((d) => !needsCrd(d)).map((d) => stringify(d)).join('---\n'));
        out = await plane().kubectlOk(['apply', '--server-side', '--dry-run=server', '-f', file]);
        const line = `SKIPPED in ${name}: ${needing.map(describeDoc).join(', ')}: cert-manager's CRDs are not installed in the e2e control plane (no network to fetch them); everything else in the variant was applied`;
        console.log(`      ${line}`);
        skippedCrd.push(line);
      }
      expectDryRunApplied(out, docs.filter((d) => !needsCrd(d)), name);
    }
    // Only cert-manager objects need a CRD among the shipped manifests.
    expect(skippedCrd).to.have.length(2);

    // hpa-examples/: every file that needs no CRD.
    const files = listYaml(join(REPO_ROOT, 'hpa-examples'));
    const appliedFiles: string[] = [];
    for (const file of files) {
      const rel = relative(REPO_ROOT, file);
      const docs = yamlDocuments(readFileSync(file, 'utf8'));
      if (docs.some((d) => typeof d.apiVersion !== 'string' || typeof d.kind !== 'string')) {
        console.log(`      SKIPPED ${rel}: not a Kubernetes manifest (adapter configuration to merge into the ConfigMap)`);
        continue;
      }
      const needing = docs.filter(needsCrd);
      if (needing.length > 0) {
        console.log(`      SKIPPED ${rel}: needs CRDs not installed here: ${needing.map(describeDoc).join(', ')}`);
        continue;
      }
      for (const ns of new Set(docs.map((d) => (d.metadata as { namespace?: string } | undefined)?.namespace).filter((n): n is string => Boolean(n)))) {
        const exists = await plane().kubectl(['get', 'namespace', ns]);
        if (exists.code !== 0) await plane().kubectlOk(['create', 'namespace', ns]);
      }
      const out = await plane().kubectlOk(['apply', '--server-side', '--dry-run=server', '-f', file]);
      expectDryRunApplied(out, docs, rel);
      appliedFiles.push(rel);
    }
    console.log(`      dry-run applied: ${appliedFiles.join(', ')}`);
    expect(appliedFiles.length, 'HPA examples applied').to.be.greaterThan(0);
  });

  /** Polls `spec.replicas` of a Deployment every 150 ms and keeps each distinct value in order. */
  function recordReplicas(name: string): { readonly history: number[] } {
    const history: number[] = [];
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        try {
          const r = (await deployment(name)).spec?.replicas;
          if (r !== undefined && history[history.length - 1] !== r) history.push(r);
        } catch {
          // the next poll tells
        }
        await sleep(150);
      }
    })();
    cleanups.push(async () => {
      stopped = true;
      await loop;
    });
    return { history };
  }

  /** Keeps the DCGM fixture at one GPU at `duty()` % for every Running pod of `app`. */
  function followPods(app: string, duty: () => number): void {
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        try {
          const names = await podNames(app);
          dcgm().state.gpus = names.map((pod, i) => gpu(i, pod, duty()));
        } catch {
          // the next pass tells
        }
        await sleep(200);
      }
    })();
    cleanups.push(async () => {
      stopped = true;
      await loop;
      dcgm().state.gpus = [];
    });
  }

  /** Waits until kubectl get --raw lists exactly `pods`, each at `value`. */
  function waitGpuValues(app: string, pods: readonly string[], value: number) {
    const path = `${CUSTOM}/namespaces/${NS}/pods/*/nvidia_gpu_duty_cycle?labelSelector=${encodeURIComponent(`app=${app}`)}`;
    return waitFor(`the adapter to serve ${value} % for ${pods.join(', ')}`, async () => {
      const list = await raw<MetricValueList>(path);
      const got = list.items.map((i) => `${i.describedObject.name}=${parseQuantity(i.value)}`).sort();
      return JSON.stringify(got) === JSON.stringify([...pods].sort().map((p) => `${p}=${value}`));
    }, { timeoutMs: 30_000, intervalMs: 300, describe: describeWorkload(app) });
  }

  async function restoreBinding(file: string, name: string): Promise<void> {
    const restored = await plane().kubectl(['create', '-f', file]);
    if (restored.code !== 0 && !/AlreadyExists/.test(restored.stderr)) throw new Error(`restoring ${name}: ${restored.stderr}`);
    await waitFor(`the restored ${name} binding to apply (deployments/scale)`, async () =>
      (await sar(HPA_SA, { group: 'apps', resource: 'deployments', subresource: 'scale', namespace: NS, verb: 'update', name: 'x' })).allowed,
    { timeoutMs: 20_000, intervalMs: 250, describe: bindings });
  }

  /** The ClusterRoleBindings that can matter for the HPA controller's metrics reads. */
  async function bindings(): Promise<string> {
    const all = await plane().kubectlOk(['get', 'clusterrolebindings', '-o', 'wide']);
    return all.split('\n').filter((l) => /^NAME|horizontal-pod-autoscaler|ai-metrics-adapter/.test(l)).join('\n');
  }

  async function sar(user: string, resourceAttributes: Record<string, string>): Promise<{ allowed: boolean; reason?: string }> {
    const file = join(plane().dir, 'sar.json');
    const groups = ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'];
    writeFileSync(file, JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, groups, resourceAttributes } }));
    const review = JSON.parse(await plane().kubectlOk(['create', '-f', file, '-o', 'json'])) as { status: { allowed: boolean; reason?: string } };
    return review.status;
  }
});

function condition(hpa: Hpa, type: string): Condition | undefined {
  return hpa.status?.conditions?.find((c) => c.type === type);
}

/** An autoscaling/v2 HPA on Deployment `name`, with windows and policies short enough for a test. */
function hpaObject(name: string, minReplicas: number, maxReplicas: number, metric: object): object {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: NS },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas,
      maxReplicas,
      metrics: [metric],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 20, periodSeconds: 1 }] },
        scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }] },
      },
    },
  };
}

function queueMetric(queueName: string, averageValue: string): object {
  return {
    type: 'External',
    external: {
      metric: { name: 'redis_queue_depth', selector: { matchLabels: { queue_name: queueName } } },
      target: { type: 'AverageValue', averageValue },
    },
  };
}

/** Every document shows up in kubectl's output as `<resource>[.<group>]/<name> serverside-applied (server dry run)`. */
function expectDryRunApplied(out: string, docs: readonly Record<string, unknown>[], what: string): void {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  for (const line of lines) expect(line, `${what}: ${line}`).to.match(/ serverside-applied \(server dry run\)$/);
  expect(lines, `${what}: one line per object`).to.have.length(docs.length);
  for (const d of docs) {
    const name = String((d.metadata as { name?: string } | undefined)?.name);
    expect(lines.some((l) => l.includes(`/${name} `)), `${what}: ${String(d.kind)} ${name} applied`).to.equal(true);
  }
}

function listYaml(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return listYaml(path);
    return /\.ya?ml$/.test(entry) ? [path] : [];
  });
}

function runScript(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${command} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

function deploymentObject(name: string, replicas: number): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 30, containers: [{ name: 'model', image: `registry.invalid/${name}:1` }] },
      },
    },
  };
}

/** One whole GPU (DCGM_FI_DEV_GPU_UTIL = `util`, no profiling metrics) used by `pod` in ai-models. */
function gpu(index: number, pod: string, util: number): GpuFixture {
  return {
    gpu: index, uuid: `GPU-e2e-${pod}-${index}`, pciBusId: `00000000:${(16 + index).toString(16)}:00.0`, modelName: 'NVIDIA H100 80GB HBM3',
    hostname: 'fake-node', util, fbUsed: 1000, fbFree: 79_000, pod: { namespace: NS, name: pod, container: 'model' },
  };
}
