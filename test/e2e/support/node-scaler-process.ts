/**
 * `ai-metrics-adapter node-scaler run` as a real process (from the sources, with tsx) on a free
 * loopback port, and the shipped manifests/node-scaler RBAC it runs under.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { track } from '../../helpers/cleanup.js';
import { freePort } from '../../helpers/ports.js';
import { REPO_ROOT, waitFor, type ControlPlane } from '../harness/index.js';

export const NODE_SCALER_NS = 'ai-metrics-adapter';
export const NODE_SCALER_SA = 'ai-metrics-adapter-node-scaler';
const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/** Applies the ServiceAccount and RBAC of manifests/node-scaler (rendered by kubectl kustomize), nothing else. */
export async function installNodeScalerRbac(cp: ControlPlane): Promise<void> {
  await cp.kubectl(['create', 'namespace', NODE_SCALER_NS]);
  const rendered = await cp.kubectlOk(['kustomize', join(REPO_ROOT, 'manifests/node-scaler')]);
  const docs = parseAllDocuments(rendered).map((d) => d.toJS() as { kind: string });
  const file = join(cp.dir, 'node-scaler-rbac.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs.filter((d) => RBAC_KINDS.has(d.kind)) }));
  await cp.kubectlOk(['apply', '-f', file]);
}

export interface NodeScalerProcess {
  readonly port: number;
  readonly identity: string;
  output(): string;
  metrics(): Promise<string>;
  /** SIGTERM (the Lease is released), then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export async function startNodeScalerProcess(opts: { configFile: string; kubeconfig: string; identity: string; args?: readonly string[] }): Promise<NodeScalerProcess> {
  const port = await freePort();
  const args = [
    '--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'node-scaler', 'run',
    '--config', opts.configFile, '--kubeconfig', opts.kubeconfig, '--bind-address', '127.0.0.1', '--metrics-port', String(port),
    '--lease-namespace', NODE_SCALER_NS, '--identity', opts.identity, '--log-level', 'debug', ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: undefined } });
  track.child(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`node-scaler ${opts.identity} ready on ${base}/readyz`, async () => {
    if (child.exitCode !== null) throw new Error(`node-scaler exited with ${child.exitCode}:\n${out.slice(-3000)}`);
    const res = await fetch(`${base}/readyz`).catch(() => undefined);
    return res?.status === 200;
  }, { timeoutMs: 60_000, intervalMs: 200 });
  return {
    port,
    identity: opts.identity,
    output: () => out,
    metrics: async () => (await fetch(`${base}/metrics`)).text(),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One sample of a Prometheus text exposition, e.g. `gpu_autoscaler_desired_node_count{pool="od"}`; undefined when absent. */
export function sampleValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  return undefined;
}
