/** Self-contained kubeconfig files (certificates embedded), readable by kubectl and client-node. */
import { readFileSync, writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export type Credentials = { readonly cert: string; readonly key: string } | { readonly token: string };

/** Writes a kubeconfig with one cluster, user and current context to `file`; returns `file`. */
export function writeKubeconfig(file: string, server: string, caFile: string, user: string, credentials: Credentials): string {
  const b64 = (path: string) => readFileSync(path).toString('base64');
  const userEntry =
    'token' in credentials
      ? { token: credentials.token }
      : { 'client-certificate-data': b64(credentials.cert), 'client-key-data': b64(credentials.key) };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority-data': b64(caFile) } }],
    users: [{ name: user, user: userEntry }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user } }],
    'current-context': 'e2e',
    preferences: {},
  };
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}

export function loadKubeConfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}
