import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

/**
 * Writes a kubeconfig that points kubectl at the standalone adapter and trusts its
 * self-signed certificate, so `kubectl --kubeconfig .local/kubeconfig get --raw /apis/...`
 * works at once. Returns the file's path.
 */
export function writeStandaloneKubeconfig(dir: string, server: string, caPem: string): string {
  mkdirSync(dir, { recursive: true });
  const file = resolve(join(dir, 'kubeconfig'));
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'ai-metrics-adapter', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    // kubectl prompts for a username when a user entry has no credentials; a token stops that.
    users: [{ name: 'local', user: { token: 'standalone' } }],
    contexts: [{ name: 'ai-metrics-adapter', context: { cluster: 'ai-metrics-adapter', user: 'local' } }],
    'current-context': 'ai-metrics-adapter',
  };
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  writeFileSync(join(dir, 'serving-ca.crt'), caPem);
  return file;
}
