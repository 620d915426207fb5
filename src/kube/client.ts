import { existsSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';

/** Where the adapter's cluster credentials come from, or why there are none. */
export type ClusterAccess =
  | { readonly mode: 'cluster'; readonly kubeConfig: KubeConfig; readonly origin: string }
  | { readonly mode: 'standalone'; readonly why: string };

/** The decision alone, before any kubeconfig is read. */
export type ClusterAccessPlan =
  | { readonly mode: 'cluster'; readonly file?: string; readonly origin: string }
  | { readonly mode: 'standalone'; readonly why: string };

export interface ClusterAccessOptions {
  readonly kubeconfig?: string;
  readonly standalone?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Cluster mode with an explicit kubeconfig (flag or KUBECONFIG) or inside a pod;
 * standalone otherwise, or when asked for. A kubeconfig in ~/.kube is deliberately not
 * picked up: starting the adapter on a laptop must not point it at whatever cluster is current.
 */
export function planClusterAccess(opts: ClusterAccessOptions): ClusterAccessPlan {
  const env = opts.env ?? process.env;
  if (opts.standalone) return { mode: 'standalone', why: '--standalone was given' };
  const file = opts.kubeconfig ?? env.KUBECONFIG;
  if (file) return { mode: 'cluster', file, origin: file };
  if (env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) return { mode: 'cluster', origin: 'in-cluster service account' };
  return { mode: 'standalone', why: 'no --kubeconfig, no KUBECONFIG and not running in a pod' };
}

/** planClusterAccess, with the kubeconfig loaded in cluster mode. */
export async function resolveClusterAccess(opts: ClusterAccessOptions): Promise<ClusterAccess> {
  const plan = planClusterAccess(opts);
  if (plan.mode === 'standalone') return plan;
  // Imported here, not at the top: @kubernetes/client-node adds ~70 MB of RSS that standalone mode never uses.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (plan.file !== undefined) kc.loadFromFile(plan.file);
  else kc.loadFromCluster();
  return { mode: 'cluster', kubeConfig: kc, origin: plan.origin };
}
