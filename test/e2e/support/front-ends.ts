/**
 * The adapter in this process, in cluster mode against the real control plane, running as its
 * own ServiceAccount with the shipped RBAC (manifests/base/rbac.yaml) and CRD (manifests/crds):
 * what the REST autoscaler API and the policy controller e2e tests drive.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/config/index.js';
import { Adapter } from '../../../src/serve/adapter.js';
import { REPO_ROOT, type ControlPlane } from '../harness/index.js';

export const ADAPTER_NS = 'ai-metrics-adapter';

/** Namespace, ServiceAccount, RBAC and the CRD, as `kubectl apply` installs them. */
export async function installFrontEndManifests(cp: ControlPlane): Promise<void> {
  const files = ['manifests/base/namespace.yaml', 'manifests/base/serviceaccount.yaml', 'manifests/base/rbac.yaml', 'manifests/crds/aiinferenceautoscalerpolicies.kubeai.io.yaml'];
  for (const f of files) await cp.kubectlOk(['apply', '-f', join(REPO_ROOT, f)]);
  await cp.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/aiinferenceautoscalerpolicies.kubeai.io']);
}

export interface InProcessAdapter {
  readonly adapter: Adapter;
  /** `http://127.0.0.1:<port>` of the :8080 app. */
  readonly http: string;
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts the adapter as system:serviceaccount:ai-metrics-adapter:ai-metrics-adapter. */
export async function startAdapterAsServiceAccount(cp: ControlPlane, config: Record<string, unknown> = {}): Promise<InProcessAdapter> {
  const kubeconfig = await cp.serviceAccountKubeconfig(ADAPTER_NS, 'ai-metrics-adapter');
  const logs: Record<string, unknown>[] = [];
  const log: Logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const cfg = parseConfig({ bindAddress: '127.0.0.1', securePort: 0, httpPort: 0, grpcPort: 0, logLevel: 'debug', ...config }, 'e2e');
  const adapter = new Adapter({ config: cfg, access: { mode: 'cluster', kubeConfig: cp.kubeConfig(kubeconfig), origin: kubeconfig }, log });
  await adapter.start();
  return { adapter, http: `http://127.0.0.1:${adapter.httpPort}`, logs, stop: () => adapter.stop() };
}

/** The bearer token inside a kubeconfig the harness wrote (serviceAccountKubeconfig). */
export function tokenOf(kubeconfigFile: string): string {
  const doc = parse(readFileSync(kubeconfigFile, 'utf8')) as { users: { user: { token?: string } }[] };
  const token = doc.users[0]?.user.token;
  if (!token) throw new Error(`${kubeconfigFile} has no token`);
  return token;
}

export interface JsonReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One JSON request to the :8080 app. */
export async function call(base: string, method: string, path: string, opts: { token?: string; body?: unknown; rawBody?: string } = {}): Promise<JsonReply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined || opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = opts.rawBody ?? JSON.stringify(opts.body);
  }
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
