/**
 * Smoke test of the e2e harness: a real etcd + kube-apiserver + kube-controller-manager, kubectl
 * 1.33 as the client, and the fake kubelet. No adapter yet; the scenarios build on this.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { requireBinariesOrSkip, startControlPlane, startFakeKubelet, waitFor, type ControlPlane, type FakeKubelet } from './harness/index.js';

const NS = 'smoke';

interface Deployment {
  spec?: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}
interface PodList {
  items: { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status: { phase?: string; conditions?: { type: string; status: string }[] } }[];
}
interface Hpa {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; currentReplicas?: number };
}

describe('e2e control plane (etcd, kube-apiserver, kube-controller-manager, fake kubelet)', function () {
  let cp: ControlPlane | undefined;
  let kubelet: FakeKubelet | undefined;
  const kubeletLog: string[] = [];

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  const getJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await plane().kubectlOk(['get', ...args, '-o', 'json'])) as T;
  const describeAll = () => plane().kubectlOk(['-n', NS, 'get', 'deploy,rs,pods,hpa', '-o', 'wide']).then(async (wide) =>
    `${wide}\n${await plane().kubectlOk(['-n', NS, 'describe', 'deploy,hpa']).catch((e: Error) => e.message)}\nkubelet:\n${kubeletLog.slice(-20).join('\n')}`);

  before(async function () {
    requireBinariesOrSkip(this);
    this.timeout(240_000);
    cp = await startControlPlane();
    kubelet = await startFakeKubelet(cp.kubeConfig(), { log: (line) => kubeletLog.push(`${new Date().toISOString()} ${line}`) });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cp) console.log(`control-plane logs:\n${cp.logs()}\nkubelet:\n${kubeletLog.slice(-30).join('\n')}`);
  });

  after(async function () {
    this.timeout(60_000);
    await kubelet?.stop();
    await cp?.stop();
  });

  it('answers /readyz through kubectl 1.33', async function () {
    expect((await plane().kubectlOk(['get', '--raw', '/readyz'])).trim()).to.equal('ok');
  });

  it('reports the pinned Kubernetes version', async function () {
    const version = JSON.parse(await plane().kubectlOk(['get', '--raw', '/version'])) as { gitVersion: string };
    expect(version.gitVersion).to.equal(plane().version);
  });

  it('lists the fake kubelet\'s node as Ready (kubectl get nodes)', async function () {
    const out = await plane().kubectlOk(['get', 'nodes']);
    expect(out).to.match(/^fake-node\s+Ready\b/m);
  });

  it('publishes the front-proxy (requestheader) settings extension API servers delegate to', async function () {
    const cm = await getJson<{ data: Record<string, string> }>('-n', 'kube-system', 'configmap', 'extension-apiserver-authentication');
    expect(cm.data['client-ca-file']).to.contain('BEGIN CERTIFICATE');
    expect(cm.data['requestheader-client-ca-file']).to.contain('BEGIN CERTIFICATE');
    expect(cm.data['requestheader-client-ca-file']).to.not.equal(cm.data['client-ca-file']);
    expect(JSON.parse(cm.data['requestheader-allowed-names'] ?? '[]')).to.deep.equal(['front-proxy-client']);
    expect(JSON.parse(cm.data['requestheader-username-headers'] ?? '[]')).to.deep.equal(['X-Remote-User']);
    expect(JSON.parse(cm.data['requestheader-group-headers'] ?? '[]')).to.deep.equal(['X-Remote-Group']);
    expect(JSON.parse(cm.data['requestheader-extra-headers-prefix'] ?? '[]')).to.deep.equal(['X-Remote-Extra-']);
  });

  it('issues service-account token and client-certificate kubeconfigs; RBAC applies to them', async function () {
    const sa = await plane().serviceAccountKubeconfig('default', 'smoke-reader');
    const whoami = JSON.parse(await plane().kubectlOk(['auth', 'whoami', '-o', 'json'], { kubeconfig: sa })) as { status: { userInfo: { username: string } } };
    expect(whoami.status.userInfo.username).to.equal('system:serviceaccount:default:smoke-reader');
    const nobody = await plane().clientCertKubeconfig('nobody', ['smoke-group']);
    const denied = await plane().kubectl(['get', 'pods', '-n', 'default'], { kubeconfig: nobody });
    expect(denied.code).to.not.equal(0);
    expect(denied.stderr).to.match(/forbidden: User "nobody" cannot list resource "pods"/);
  });

  it('brings a 2-replica Deployment to 2 Running and Ready pods', async function () {
    this.timeout(120_000);
    await plane().kubectlOk(['create', 'namespace', NS]);
    const file = join(plane().dir, 'smoke-deployment.yaml');
    writeFileSync(file, deploymentYaml('worker', 2));
    await plane().kubectlOk(['apply', '-f', file]);
    await waitFor('deployment smoke/worker to have 2 ready replicas', async () => {
      const d = await getJson<Deployment>('-n', NS, 'deployment', 'worker');
      return d.status?.readyReplicas === 2 && d.status.replicas === 2;
    }, { timeoutMs: 90_000, intervalMs: 500, describe: describeAll });
    const pods = await getJson<PodList>('-n', NS, 'pods', '-l', 'app=worker');
    expect(pods.items).to.have.length(2);
    for (const pod of pods.items) {
      expect(pod.spec.nodeName).to.equal('fake-node');
      expect(pod.status.phase).to.equal('Running');
      expect(pod.status.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    }
  });

  it('accepts an HPA on an External metric; the HPA controller reports the metric as unavailable', async function () {
    this.timeout(120_000);
    const file = join(plane().dir, 'smoke-hpa.yaml');
    writeFileSync(file, hpaYaml('worker'));
    await plane().kubectlOk(['apply', '-f', file]);
    // No metrics API is registered yet: the controller (as its own service account) must still
    // pick the HPA up and say why it cannot act.
    const condition = await waitFor('HPA smoke/worker to get a ScalingActive condition from kube-controller-manager', async () => {
      const hpa = await getJson<Hpa>('-n', NS, 'hpa', 'worker');
      return hpa.status?.conditions?.find((c) => c.type === 'ScalingActive');
    }, { timeoutMs: 90_000, intervalMs: 500, describe: describeAll });
    expect(condition.status).to.equal('False');
    expect(condition.reason).to.equal('FailedGetExternalMetric');
    const d = await getJson<Deployment>('-n', NS, 'deployment', 'worker');
    expect(d.spec?.replicas, 'an HPA without metrics holds the replicas').to.equal(2);
  });

  it('scales in through a force-deleted (terminating) pod', async function () {
    this.timeout(120_000);
    await plane().kubectlOk(['-n', NS, 'delete', 'hpa', 'worker']);
    await plane().kubectlOk(['-n', NS, 'scale', 'deployment', 'worker', '--replicas=1']);
    await waitFor('deployment smoke/worker to be down to 1 pod', async () => {
      const pods = await getJson<PodList>('-n', NS, 'pods', '-l', 'app=worker');
      const d = await getJson<Deployment>('-n', NS, 'deployment', 'worker');
      return pods.items.length === 1 && d.status?.readyReplicas === 1 && d.status.replicas === 1;
    }, { timeoutMs: 90_000, intervalMs: 500, describe: describeAll });
    expect(kubeletLog.some((line) => line.includes('force-deleted smoke/worker-'))).to.equal(true);
  });

  it('stops every process and removes its temp dir', async function () {
    this.timeout(60_000);
    const { dir, processes } = plane();
    const pids = [processes.etcd.pid, processes.apiserver.pid, processes.controllerManager?.pid ?? 0].filter((p) => p > 0);
    await kubelet?.stop();
    await plane().stop();
    for (const pid of pids) expect(isAlive(pid), `process ${pid} still alive`).to.equal(false);
    expect(existsSync(dir), `${dir} still exists`).to.equal(process.env.AMA_E2E_KEEP === '1');
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function deploymentYaml(name: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${NS}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
        - name: worker
          image: registry.invalid/worker:1
`;
}

function hpaYaml(name: string): string {
  return `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: ${name}
  namespace: ${NS}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${name}}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: External
      external:
        metric:
          name: redis_queue_depth
          selector: {matchLabels: {queue_name: stt-queue}}
        target: {type: AverageValue, averageValue: "5"}
`;
}
