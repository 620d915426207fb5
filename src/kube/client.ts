import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

/** Where the adapter's cluster credentials come from, or why there are none. */
export type ClusterAccess =
  | { readonly mode: 'cluster'; readonly kubeConfig: KubeConfig; readonly origin: string }
  | { readonly mode: 'standalone'; readonly why: string };

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Cluster mode with an explicit kubeconfig (flag or KUBECONFIG) or inside a pod;
 * standalone otherwise, or when asked for. A kubeconfig in ~/.kube is deliberately not
 * picked up: starting the adapter on a laptop must not point it at whatever cluster is current.
 */
export function resolveClusterAccess(opts: { kubeconfig?: string; standalone?: boolean; env?: NodeJS.ProcessEnv }): ClusterAccess {
  const env = opts.env ?? process.env;
  if (opts.standalone) return { mode: 'standalone', why: '--standalone was given' };
  const file = opts.kubeconfig ?? env.KUBECONFIG;
  if (file) {
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    return { mode: 'cluster', kubeConfig: kc, origin: file };
  }
  if (env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    const kc = new KubeConfig();
    kc.loadFromCluster();
    return { mode: 'cluster', kubeConfig: kc, origin: 'in-cluster service account' };
  }
  return { mode: 'standalone', why: 'no --kubeconfig, no KUBECONFIG and not running in a pod' };
}
