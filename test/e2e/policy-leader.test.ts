/**
 * The AIInferenceAutoscalerPolicy controller with 2 replicas against a real control plane: two
 * adapters in this process, each as the adapter's ServiceAccount with the shipped RBAC (including
 * the policies leader-election Role). Only the holder of the `ai-metrics-adapter-policies` Lease
 * writes the HPA and the policy status; the standby still serves the policy's metrics; when the
 * holder stops it releases the Lease and the standby takes over and reconciles.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { requireBinariesOrSkip, sleep, startControlPlane, waitFor, type ControlPlane } from './harness/index.js';
import { ADAPTER_NS, installFrontEndManifests, startAdapterAsServiceAccount, type InProcessAdapter } from './support/front-ends.js';

const NS = 'inference';
const LEASE = 'ai-metrics-adapter-policies';
const QUEUE = `aiap:${NS}:llm:request_queue_depth`;
const TIMING = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };
/** The writes the controller logs: these must only ever come from the Lease holder. */
const WRITES = ['HPA created', 'HPA updated', 'policy status updated'];

interface Lease { spec: { holderIdentity?: string; leaseTransitions?: number } }
interface Policy { status?: { observedGeneration?: number; hpaName?: string; conditions?: { type: string; status: string; reason: string }[] } }
interface Hpa { spec: { maxReplicas: number } }

describe('e2e AIInferenceAutoscalerPolicy controller: leader election with 2 replicas', function () {
  let cp: ControlPlane | undefined;
  const replicas: { name: string; adapter: InProcessAdapter }[] = [];
  let savedPodName: string | undefined;

  const plane = () => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  const getJson = async <T>(ns: string, ...args: string[]): Promise<T> => JSON.parse(await plane().kubectlOk(['-n', ns, 'get', ...args, '-o', 'json'])) as T;
  const holder = async (): Promise<string | undefined> => {
    const r = await plane().kubectl(['-n', ADAPTER_NS, 'get', 'lease', LEASE, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as Lease).spec.holderIdentity || undefined : undefined;
  };
  /** The elector's identity, from the bindings of its log lines. */
  const identityOf = (a: InProcessAdapter): string | undefined =>
    a.logs.find((l) => l.lease === `${ADAPTER_NS}/${LEASE}` && typeof l.identity === 'string')?.identity as string | undefined;
  const writesOf = (a: InProcessAdapter) => a.logs.filter((l) => WRITES.includes(String(l.msg)));
  const start = async (name: string) => {
    const adapter = await startAdapterAsServiceAccount(plane(), {
      prometheus: { url: 'http://127.0.0.1:9', intervalSeconds: 1, timeoutSeconds: 1 },
      policies: { resyncSeconds: 1, leaderElection: TIMING },
    });
    replicas.push({ name, adapter });
    return adapter;
  };

  before(async function () {
    requireBinariesOrSkip(this);
    this.timeout(240_000);
    // Both replicas run in this process: each must pick its own default identity.
    savedPodName = process.env.POD_NAME;
    delete process.env.POD_NAME;
    cp = await startControlPlane({ withoutControllerManager: true });
    await installFrontEndManifests(cp);
    await cp.kubectlOk(['create', 'namespace', NS]);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cp) {
      for (const r of replicas) {
        console.log(`adapter ${r.name} logs:\n${r.adapter.logs.slice(-40).map((l) => JSON.stringify(l)).join('\n')}`);
      }
    }
  });

  after(async function () {
    this.timeout(60_000);
    for (const r of replicas) await r.adapter.stop();
    await cp?.stop();
    if (savedPodName !== undefined) process.env.POD_NAME = savedPodName;
  });

  it('only the Lease holder writes the HPA and the status; the standby serves the policy metrics', async function () {
    this.timeout(90_000);
    const a = await start('a');
    const idA = await waitFor('replica a to hold the Lease', async () => {
      const id = identityOf(a);
      return id !== undefined && (await holder()) === id ? id : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    const b = await start('b');
    const idB = await waitFor('replica b to campaign', async () => identityOf(b), { timeoutMs: 10_000, intervalMs: 100 });
    expect(idB).to.not.equal(idA);

    const file = join(plane().dir, 'llm.yaml');
    writeFileSync(file, stringify({
      apiVersion: 'kubeai.io/v1alpha1', kind: 'AIInferenceAutoscalerPolicy', metadata: { name: 'llm', namespace: NS },
      spec: { targetRef: { kind: 'Deployment', name: 'llm' }, maxReplicas: 4, metrics: { requestQueueDepth: { targetDepth: 10, prometheusQuery: 'sum(queue_backlog)' } } },
    }));
    await plane().kubectlOk(['apply', '-f', file]);
    await waitFor('HPA and status written', async () => {
      const p = await getJson<Policy>(NS, 'aiap', 'llm');
      return p.status?.hpaName === 'llm' && p.status.observedGeneration === 1;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    // A hand edit is put back, by the holder: a second reconcile that writes.
    await plane().kubectlOk(['-n', NS, 'patch', 'hpa', 'llm', '--type=merge', '-p', '{"spec":{"maxReplicas":50}}']);
    await waitFor('HPA maxReplicas back to 4', async () => (await getJson<Hpa>(NS, 'hpa', 'llm')).spec.maxReplicas === 4, { timeoutMs: 20_000, intervalMs: 300 });
    await sleep(2_000); // a few resyncs of both replicas

    expect(writesOf(a).map((l) => l.msg)).to.include.members(['HPA created', 'HPA updated', 'policy status updated']);
    expect(writesOf(b), 'the standby wrote').to.deep.equal([]);
    expect(b.adapter.store.catalog.customMetric(QUEUE)?.resources, 'the standby serves the policy metric').to.deep.equal(['deployments.apps']);
    expect(await holder()).to.equal(idA);
  });

  it('when the holder stops it releases the Lease; the standby takes over and reconciles', async function () {
    this.timeout(90_000);
    const [a, b] = replicas.map((r) => r.adapter);
    if (!a || !b) this.skip();
    const idB = identityOf(b);
    await a.stop();
    replicas.shift();
    const stoppedAt = Date.now();
    await waitFor('replica b to hold the Lease', async () => (await holder()) === idB, { timeoutMs: 20_000, intervalMs: 100 });
    // Released, not expired: a retry period or two (jittered), well under the 4 s lease duration.
    expect(Date.now() - stoppedAt).to.be.below(TIMING.leaseDurationSeconds * 1000);
    const lease = await getJson<Lease>(ADAPTER_NS, 'lease', LEASE);
    expect(lease.spec.leaseTransitions).to.equal(1);

    await plane().kubectlOk(['-n', NS, 'patch', 'aiap', 'llm', '--type=merge', '-p', '{"spec":{"maxReplicas":6}}']);
    await waitFor('HPA maxReplicas 6 and observedGeneration 2, written by b', async () => {
      const [hpa, p] = await Promise.all([getJson<Hpa>(NS, 'hpa', 'llm'), getJson<Policy>(NS, 'aiap', 'llm')]);
      return hpa.spec.maxReplicas === 6 && p.status?.observedGeneration === 2;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    expect(writesOf(b).map((l) => l.msg)).to.include.members(['HPA updated', 'policy status updated']);
  });
});
