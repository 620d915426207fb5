import { isDeepStrictEqual } from 'node:util';
import {
  AutoscalingV2Api,
  CustomObjectsApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import { describeErrors } from './field-errors.js';
import { codeOf, type HpaClient, type HpaObject, type NewHpa, type OwnerReference } from './hpa-client.js';
import { readHpaMetrics, type ReadingDeps } from './hpa-readings.js';
import { FRONT_END_LABEL, MANAGED_BY, MANAGED_BY_LABEL } from './hpa-spec.js';
import type { PolicyMetrics } from './policy-metrics.js';
import { compilePolicy, parsePolicySpec, POLICY_GROUP, POLICY_KIND, POLICY_PLURAL, POLICY_VERSION } from './policy-spec.js';
import { buildPolicyStatus, type PolicyStatus, type ReconcileOutcome } from './policy-status.js';

/** The label naming the policy an HPA was compiled from. */
export const POLICY_LABEL = 'autoscaling.kubeai.io/policy';
const FRONT_END = 'policy';
const RETRY_MS = 5_000;
/** A reconcile on a replica that does not hold the Lease: metrics served, nothing written. */
const STANDBY = 'standby';
const WATCH_RESTART_MS = 5_000;

interface PolicyObject extends KubernetesObject {
  spec?: unknown;
  status?: PolicyStatus;
}

export interface PolicyControllerOptions extends ReadingDeps {
  readonly kubeConfig: KubeConfig;
  readonly hpas: HpaClient;
  readonly metrics: PolicyMetrics;
  /** Every policy is reconciled this often besides on changes, so status follows the metrics. */
  readonly resyncMs: number;
  readonly log: Logger;
  readonly now?: () => Date;
  /**
   * Whether this replica may write HPAs and policy status now (it holds the policy Lease);
   * default: always. Checked again before the HPA write and before the status write, so a
   * replica deposed mid-reconcile stops there (the Lease's renew deadline bounds what is left).
   */
  readonly isLeader?: () => boolean;
}

/**
 * Watches AIInferenceAutoscalerPolicies and the HPAs compiled from them, and reconciles one
 * policy at a time: compile (pure), serve its PromQL metrics, create or update the one HPA it
 * owns (owner reference, no finalizer: the garbage collector deletes the HPA with the policy),
 * then write the status from the HPA and the store.
 *
 * With leader election only the Lease holder writes; the other replicas still watch and serve
 * every policy's PromQL metrics, because the aggregator sends the HPA controller's reads to any
 * replica behind the Service. A new leader reconciles everything at once (resyncAll).
 */
export class PolicyController {
  private readonly policies: Informer<PolicyObject> & ObjectCache<PolicyObject>;
  private readonly hpaWatch: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  private readonly custom: CustomObjectsApi;
  private readonly dirty = new Set<string>();
  private draining: Promise<void> | undefined;
  private resync: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly lastWatchError = new Map<string, string>();

  constructor(private readonly opts: PolicyControllerOptions) {
    const kc = opts.kubeConfig;
    this.custom = kc.makeApiClient(CustomObjectsApi);
    const autoscaling = kc.makeApiClient(AutoscalingV2Api);
    const path = `/apis/${POLICY_GROUP}/${POLICY_VERSION}/${POLICY_PLURAL}`;
    this.policies = makeInformer<PolicyObject>(kc, path, () =>
      this.custom.listClusterCustomObject({ group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL }));
    const selector = `${FRONT_END_LABEL}=${FRONT_END}`;
    this.hpaWatch = makeInformer<KubernetesObject>(kc, '/apis/autoscaling/v2/horizontalpodautoscalers',
      () => autoscaling.listHorizontalPodAutoscalerForAllNamespaces({ labelSelector: selector }), selector);
  }

  /** Starts both watches; a missing CRD is logged and retried, never fatal. */
  async start(): Promise<void> {
    const enqueuePolicy = (o: KubernetesObject) => this.enqueue(keyOf(o.metadata?.namespace, o.metadata?.name));
    const enqueueOwner = (o: KubernetesObject) => this.enqueue(keyOf(o.metadata?.namespace, o.metadata?.labels?.[POLICY_LABEL]));
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.policies.on(verb, enqueuePolicy);
      this.hpaWatch.on(verb, enqueueOwner);
    }
    this.resync = setInterval(() => this.resyncAll(), this.opts.resyncMs);
    this.resync.unref();
    await Promise.all([this.run('policies', this.policies), this.run('hpas', this.hpaWatch)]);
  }

  /** Queues every known policy, e.g. when this replica has just become the leader. */
  resyncAll(): void {
    for (const p of this.policies.list()) this.enqueue(keyOf(p.metadata?.namespace, p.metadata?.name));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resync);
    for (const t of this.timers) clearTimeout(t);
    await Promise.all([this.policies.stop(), this.hpaWatch.stop()]);
    await this.draining;
    await this.opts.metrics.stop();
  }

  private async run(what: string, informer: Informer<KubernetesObject>): Promise<void> {
    informer.on('error', (err) => {
      const message = errorMessage(err);
      // A missing CRD fails every retry the same way: say it once, not every 5 s.
      if (this.lastWatchError.get(what) !== message) {
        this.lastWatchError.set(what, message);
        this.opts.log.warn({ watch: what, err: message, hint: what === 'policies' ? 'is the AIInferenceAutoscalerPolicy CRD installed? (manifests/crds)' : undefined }, 'watch failed; retrying');
      }
      this.later(() => void informer.start().catch(() => undefined), WATCH_RESTART_MS);
    });
    informer.on('connect', () => this.lastWatchError.delete(what));
    await informer.start().catch(() => undefined);
  }

  private later(fn: () => void, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private enqueue(key: string | undefined): void {
    if (!key || this.stopped) return;
    this.dirty.add(key);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    for (let key = first(this.dirty); key !== undefined && !this.stopped; key = first(this.dirty)) {
      this.dirty.delete(key);
      try {
        await this.reconcile(key);
      } catch (err) {
        this.opts.log.warn({ policy: key, err: errorMessage(err) }, 'reconcile failed; retrying');
        this.later(() => this.enqueue(key), RETRY_MS);
      }
    }
  }

  private async reconcile(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const policy = this.policies.get(name, namespace);
    if (!policy?.metadata?.uid) {
      // Deleted: the garbage collector removes the HPA (owner reference); the metrics go now.
      await this.opts.metrics.remove(key);
      return;
    }
    const outcome = await this.apply(key, namespace, name, policy);
    if (outcome === STANDBY || !this.leading()) return;
    await this.writeStatus(namespace, name, policy, outcome);
  }

  private leading(): boolean {
    return this.opts.isLeader?.() ?? true;
  }

  /** Serves the policy's metrics (every replica), then, on the leader only, makes its HPA. */
  private async apply(key: string, namespace: string, name: string, policy: PolicyObject): Promise<ReconcileOutcome | typeof STANDBY> {
    const parsed = parsePolicySpec(policy.spec);
    if (!parsed.ok) {
      await this.opts.metrics.remove(key);
      return this.leading() ? { kind: 'invalid', message: describeErrors(parsed.errors) } : STANDBY;
    }
    const compiled = compilePolicy(namespace, name, parsed.value);
    const metrics = await this.opts.metrics.sync(key, compiled.queries);
    if (!this.leading()) return STANDBY;
    const owner: OwnerReference = { apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`, kind: POLICY_KIND, name, uid: policy.metadata?.uid ?? '', controller: true };
    const desired: NewHpa = {
      metadata: { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [FRONT_END_LABEL]: FRONT_END, [POLICY_LABEL]: name }, ownerReferences: [owner] },
      spec: compiled.hpa,
    };
    let hpa: HpaObject | undefined;
    try {
      hpa = await this.ensureHpa(desired, owner);
    } catch (err) {
      if (codeOf(err) === 409) throw err; // a concurrent update: retry
      return { kind: 'failed', message: errorMessage(err) };
    }
    if (!hpa) return { kind: 'conflict', message: `HPA ${namespace}/${name} exists and is not owned by this policy; rename the policy or delete that HPA` };
    const readings = await readHpaMetrics(this.opts, namespace, hpa.spec, hpa.status);
    return { kind: 'reconciled', hpa, readings, metrics };
  }

  /** Creates or updates the HPA; undefined when an HPA of that name belongs to someone else. */
  private async ensureHpa(desired: NewHpa, owner: OwnerReference): Promise<HpaObject | undefined> {
    const { namespace, name } = desired.metadata;
    const current = await this.opts.hpas.get(namespace, name);
    if (!current) {
      const created = await this.opts.hpas.create(desired);
      this.opts.log.info({ policy: `${namespace}/${name}` }, 'HPA created');
      return created;
    }
    if (!current.metadata.ownerReferences?.some((r) => r.uid === owner.uid)) return undefined;
    const labelsMatch = Object.entries(desired.metadata.labels ?? {}).every(([k, v]) => current.metadata.labels?.[k] === v);
    if (labelsMatch && isDeepStrictEqual(current.spec, desired.spec)) return current;
    const updated = await this.opts.hpas.replace({
      ...desired,
      metadata: { ...desired.metadata, labels: { ...current.metadata.labels, ...desired.metadata.labels }, resourceVersion: current.metadata.resourceVersion },
    });
    this.opts.log.info({ policy: `${namespace}/${name}` }, 'HPA updated');
    return updated;
  }

  private async writeStatus(namespace: string, name: string, policy: PolicyObject, outcome: ReconcileOutcome): Promise<void> {
    const now = this.opts.now?.() ?? new Date();
    const status = buildPolicyStatus(outcome, policy.metadata?.generation, policy.status, now);
    if (isDeepStrictEqual(status, policy.status)) return;
    try {
      await this.custom.patchNamespacedCustomObjectStatus(
        { group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL, namespace, name, body: [{ op: 'add', path: '/status', value: status }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
    } catch (err) {
      if (codeOf(err) === 404) return; // deleted meanwhile
      throw err;
    }
    this.opts.log.debug({ policy: `${namespace}/${name}`, generation: policy.metadata?.generation }, 'policy status updated');
  }
}

function keyOf(namespace: string | undefined, name: string | undefined): string | undefined {
  return namespace && name ? `${namespace}/${name}` : undefined;
}

function first(set: Set<string>): string | undefined {
  return set.values().next().value;
}
