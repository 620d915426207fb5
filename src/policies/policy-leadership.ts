import type { KubeConfig } from '@kubernetes/client-node';
import type { PolicyLeaderElectionConfig } from '../config/index.js';
import { ownNamespace } from '../kube/index.js';
import { LeaderElector } from '../kube/leader-election.js';
import type { Logger } from '../util/log.js';

/** Where the Lease lives when nothing names it: the Service's namespace, as the manifests install both. */
const FALLBACK_NAMESPACE = 'ai-metrics-adapter';

export interface PolicyLeadershipOptions {
  readonly kubeConfig: KubeConfig;
  readonly settings: PolicyLeaderElectionConfig;
  /** config.serviceNamespace: the adapter's namespace when not running in a pod. */
  readonly serviceNamespace?: string;
  readonly log: Logger;
  /** A new leader reconciles every policy at once instead of waiting for the resync. */
  readonly onStartedLeading: () => void;
  readonly env?: NodeJS.ProcessEnv;
  /** The service account's namespace file (tests point it elsewhere). */
  readonly namespaceFile?: string;
}

/**
 * The policy controller's own Lease (not the node-scaler's: the two are independent controllers
 * and may run in different namespaces). Namespace: the flag/config, else the pod's namespace
 * ($POD_NAMESPACE or the service account file), else serviceNamespace, else ai-metrics-adapter.
 * Identity: $POD_NAME when the manifests set it, else the elector's `<hostname>_<pid>-<random>`.
 */
export function policyLeaderElector(opts: PolicyLeadershipOptions): LeaderElector {
  const { settings: le, env = process.env } = opts;
  const namespace = le.leaseNamespace ?? ownNamespace(env, opts.namespaceFile) ?? opts.serviceNamespace ?? FALLBACK_NAMESPACE;
  return new LeaderElector({
    kubeConfig: opts.kubeConfig,
    namespace,
    name: le.leaseName,
    ...(env.POD_NAME ? { identity: env.POD_NAME } : {}),
    leaseDurationSeconds: le.leaseDurationSeconds,
    renewDeadlineSeconds: le.renewDeadlineSeconds,
    retryPeriodSeconds: le.retryPeriodSeconds,
    log: opts.log,
    onStartedLeading: opts.onStartedLeading,
  });
}
