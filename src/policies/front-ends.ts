import type { Router } from 'express';
import type { Config } from '../config/index.js';
import { kubeAuthApi } from '../auth/index.js';
import type { ClusterAccess, LeaderElector } from '../kube/index.js';
import type { ObjectLister } from '../provider/index.js';
import type { MetricStore, PollObserver } from '../store/index.js';
import type { Logger } from '../util/log.js';
import { HpaClient } from './hpa-client.js';
import { PolicyController } from './policy-controller.js';
import { policyLeaderElector } from './policy-leadership.js';
import { PolicyMetrics } from './policy-metrics.js';
import { RestAuth } from './rest-auth.js';
import { restAutoscalerRouter, standaloneRestRouter } from './rest-api.js';

export interface PolicyFrontEndsOptions {
  readonly config: Config;
  readonly access: ClusterAccess;
  readonly store: MetricStore;
  /** Live pods (cluster mode). */
  readonly objects?: ObjectLister;
  readonly log: Logger;
  readonly observer?: PollObserver;
}

/**
 * The two front-ends that compile into native HPAs, as `serve` runs them: the REST autoscaler
 * API (a router for the :8080 app) and the AIInferenceAutoscalerPolicy controller. Both need
 * Kubernetes; in standalone mode the router answers 503 and there is no controller.
 *
 * With several replicas the controller writes only while it holds its Lease
 * (policies.leaderElection). The REST API answers on every replica: its writes are one-shot and
 * user-initiated (create an HPA, delete one by uid), each decided by kube-apiserver — a create
 * of an existing name is a 409 and a delete carries a uid precondition — so two replicas cannot
 * fight over them the way two reconcile loops would.
 */
export class PolicyFrontEnds {
  readonly router: Router;
  private readonly controller?: PolicyController;
  private readonly elector?: LeaderElector;

  constructor(opts: PolicyFrontEndsOptions) {
    const { config, access, store, objects, log } = opts;
    if (access.mode !== 'cluster' || !objects) {
      this.router = standaloneRestRouter();
      return;
    }
    const kc = access.kubeConfig;
    const hpas = new HpaClient(kc);
    const auth = new RestAuth(kubeAuthApi(kc), config.auth);
    this.router = restAutoscalerRouter({ hpas, auth, store, objects, log: log.child({ component: 'rest-api' }) });
    const p = config.prometheus;
    const prometheus = p.url ? { url: p.url, timeoutMs: p.timeoutSeconds * 1000, headers: p.headers, intervalMs: p.intervalSeconds * 1000 } : undefined;
    const metrics = new PolicyMetrics({ store, prometheus, log, ...(opts.observer ? { observer: opts.observer } : {}) });
    const policyLog = log.child({ component: 'policies' });
    const le = config.policies.leaderElection;
    const elector = le.enabled
      ? policyLeaderElector({ kubeConfig: kc, settings: le, serviceNamespace: config.serviceNamespace, log: policyLog, onStartedLeading: () => controller.resyncAll() })
      : undefined;
    const controller = new PolicyController({
      kubeConfig: kc, hpas, metrics, store, objects, resyncMs: config.policies.resyncSeconds * 1000, log: policyLog,
      ...(elector ? { isLeader: () => elector.isLeader() } : {}),
    });
    this.controller = controller;
    this.elector = elector;
  }

  /** Starts campaigning for the Lease and the controller's watches (cluster mode). */
  start(): Promise<void> {
    this.elector?.start();
    return this.controller?.start() ?? Promise.resolve();
  }

  /** The controller stops writing first; then the Lease is released so a standby takes over at once. */
  async stop(): Promise<void> {
    await this.controller?.stop();
    await this.elector?.stop();
  }
}
