import { readFileSync } from 'node:fs';

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * The namespace this process runs in: $POD_NAMESPACE (the downward API, as the manifests set it),
 * else the service account's namespace file every pod has; undefined outside a pod. Leader
 * election keeps its Lease there, so replicas of one Deployment meet on the same object.
 */
export function ownNamespace(env: NodeJS.ProcessEnv = process.env, file = SA_NAMESPACE_FILE): string | undefined {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
