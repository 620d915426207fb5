/**
 * A real Kubernetes control plane for tests: etcd, kube-apiserver (aggregator configured for an
 * extension API server on loopback) and kube-controller-manager, all on free 127.0.0.1 ports, in
 * one temp dir. See docs/e2e.md and ../shared/research/real-control-plane.md §2–§4.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { kubectl, type KubectlResult } from '../../helpers/kubectl.js';
import { freePort } from '../../helpers/ports.js';
import { kubeBinaries, missingBinaries, type KubeBinaries } from './binaries.js';
import { loadKubeConfig, writeKubeconfig } from './kubeconfig.js';
import { createPki, issueCert, type Pki } from './pki.js';
import { registerTempDir, releaseTempDir, startProcess, type ManagedProcess } from './processes.js';
import { GiveUp, waitFor } from './wait.js';

/** The controllers kube-controller-manager runs unless told otherwise. */
export const DEFAULT_CONTROLLERS: readonly string[] = [
  'serviceaccount-token-controller',
  'serviceaccount-controller',
  'deployment-controller',
  'replicaset-controller',
  'horizontal-pod-autoscaler-controller',
  'garbage-collector-controller',
];

export interface ControlPlaneOptions {
  /** kube-controller-manager `--controllers` (default DEFAULT_CONTROLLERS). */
  readonly controllers?: readonly string[];
  /** `--horizontal-pod-autoscaler-sync-period` (default `2s`; upstream 15s). */
  readonly hpaSyncPeriod?: string;
  /** Extra kube-apiserver flags, appended (a later flag wins). */
  readonly apiserverArgs?: readonly string[];
  /** Extra kube-controller-manager flags, appended. */
  readonly controllerManagerArgs?: readonly string[];
  /** Skip kube-controller-manager (an apiserver-only control plane, like envtest). */
  readonly withoutControllerManager?: boolean;
  /** Keep the temp dir (logs, certificates, etcd data) after stop(). Default: AMA_E2E_KEEP=1. */
  readonly keepDir?: boolean;
  /** Progress lines (default: console.log with a `control-plane:` prefix). */
  readonly log?: (line: string) => void;
  /** Readiness deadline per component (default 120 s: a loaded 2-core machine is slow). */
  readonly readyTimeoutMs?: number;
}

export interface ControlPlane {
  /** The binaries' Kubernetes version, e.g. `v1.36.5`. */
  readonly version: string;
  readonly binaries: KubeBinaries;
  /** Temp dir: pki/, logs/, etcd/, kubeconfigs. */
  readonly dir: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  readonly etcdUrl: string;
  readonly pki: Pki;
  /** Admin (system:masters) kubeconfig file, for kubectl.1.33 and client-node. */
  readonly kubeconfig: string;
  readonly processes: { readonly etcd: ManagedProcess; readonly apiserver: ManagedProcess; readonly controllerManager?: ManagedProcess };
  /** client-node KubeConfig for `file` (default: the admin kubeconfig). */
  kubeConfig(file?: string): KubeConfig;
  /** kubectl.1.33 `--kubeconfig <admin> args…` (never throws; see the code). */
  kubectl(args: readonly string[], options?: { kubeconfig?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Like kubectl() but rejects with the command and its stderr on a non-zero exit; returns stdout. */
  kubectlOk(args: readonly string[], options?: { kubeconfig?: string; timeoutMs?: number }): Promise<string>;
  /** A kubeconfig authenticating with a client certificate (cluster CA) as `user` in `groups`. */
  clientCertKubeconfig(user: string, groups?: readonly string[]): Promise<string>;
  /** A kubeconfig with a TokenRequest token of service account `namespace/name` (created if missing). */
  serviceAccountKubeconfig(namespace: string, name: string, expirationSeconds?: number): Promise<string>;
  /** GET `path` on kube-apiserver as admin: status and body. */
  get(path: string): Promise<{ status: number; body: string }>;
  /** The last lines of every component's log, for failure messages. */
  logs(): string;
  /** Stops kube-controller-manager, kube-apiserver and etcd (SIGTERM, then SIGKILL); removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export class MissingBinariesError extends Error {
  override readonly name = 'MissingBinariesError';
}

const SERVICE_CIDR = '10.96.0.0/16';
// A documentation address (RFC 5737): the `kubernetes` Service's endpoint is never dialed, and a
// loopback address would be rejected by Endpoints validation on every sync.
const ADVERTISE_ADDRESS = '192.0.2.10';

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bins = kubeBinaries();
  const missing = missingBinaries(bins);
  if (missing.length > 0) throw new MissingBinariesError(`missing ${missing.join(', ')}: run scripts/build-kube.sh`);
  const log = options.log ?? ((line: string) => console.log(`control-plane: ${line}`));
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const keepDir = options.keepDir ?? process.env.AMA_E2E_KEEP === '1';
  const started = Date.now();
  const since = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  const dir = mkdtempSync(join(tmpdir(), 'ama-kube-'));
  if (!keepDir) registerTempDir(dir);
  const pkiDir = join(dir, 'pki');
  const logDir = join(dir, 'logs');
  mkdirSync(pkiDir);
  mkdirSync(logDir);
  const procs: ManagedProcess[] = [];
  const tails = () => procs.map((p) => `----- ${p.name} (${p.alive() ? 'running' : 'exited'}, ${p.logFile}) -----\n${lastLines(p.tail(), 40)}`).join('\n');

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const p of [...procs].reverse()) await p.stop(p.name === 'etcd' ? 5_000 : 10_000);
      if (keepDir) log(`kept ${dir}`);
      else {
        rmSync(dir, { recursive: true, force: true });
        releaseTempDir(dir);
      }
    })();
    return stopped;
  };

  try {
    const pki = await createPki(pkiDir);
    log(`certificates in ${pkiDir} (${since()})`);

    const etcd = await startWithFreePorts('etcd', 2, async ([clientPort, peerPort]) => {
      const client = `http://127.0.0.1:${clientPort}`;
      const peer = `http://127.0.0.1:${peerPort}`;
      const p = startProcess('etcd', bins.etcd, [
        '--name=e2e', `--data-dir=${join(dir, `etcd-${clientPort}`)}`,
        `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=e2e=${peer}`,
        '--unsafe-no-fsync', '--log-level=warn',
      ], join(logDir, 'etcd.log'));
      procs.push(p);
      await waitReady(p, 'etcd /health', readyTimeoutMs, async () => {
        const res = await fetch(`${client}/health`);
        return res.ok && ((await res.json()) as { health?: string }).health === 'true';
      });
      return { process: p, url: client };
    });
    log(`etcd ready at ${etcd.url} (${since()})`);

    const apiserver = await startWithFreePorts('kube-apiserver', 1, async ([port]) => {
      const p = startProcess('kube-apiserver', bins.kubeApiserver, [
        `--etcd-servers=${etcd.url}`,
        '--bind-address=127.0.0.1', `--secure-port=${port}`, `--advertise-address=${ADVERTISE_ADDRESS}`,
        `--cert-dir=${pkiDir}`,
        `--tls-cert-file=${pki.apiserver.cert}`, `--tls-private-key-file=${pki.apiserver.key}`,
        `--client-ca-file=${pki.ca.cert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.serviceAccount.pub}`, `--service-account-signing-key-file=${pki.serviceAccount.key}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--authorization-mode=Node,RBAC',
        // The aggregator: front-proxy identity for extension API servers (delegated authn reads
        // these from ConfigMap kube-system/extension-apiserver-authentication).
        `--requestheader-client-ca-file=${pki.frontProxyCa.cert}`, '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-username-headers=X-Remote-User', '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-uid-headers=X-Remote-Uid', '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        `--proxy-client-cert-file=${pki.frontProxyClient.cert}`, `--proxy-client-key-file=${pki.frontProxyClient.key}`,
        // Resolve APIService backends through the Service (ExternalName → localhost), not Endpoints.
        '--enable-aggregator-routing=false',
        '--profiling=false',
        ...(options.apiserverArgs ?? []),
      ], join(logDir, 'kube-apiserver.log'));
      procs.push(p);
      const server = `https://127.0.0.1:${port}`;
      await waitReady(p, 'kube-apiserver /readyz', readyTimeoutMs, async () => (await httpsGet(server, '/readyz', pki)).status === 200,
        async () => (await httpsGet(server, '/readyz?verbose', pki)).body);
      return { process: p, server };
    });
    const server = apiserver.server;
    log(`kube-apiserver ${bins.version} ready at ${server} (${since()})`);

    const kubeconfig = writeKubeconfig(join(dir, 'admin.kubeconfig'), server, pki.ca.cert, 'admin', pki.admin);
    const kcmKubeconfig = writeKubeconfig(join(dir, 'kube-controller-manager.kubeconfig'), server, pki.ca.cert,
      'system:kube-controller-manager', pki.controllerManager);
    const adminKc = loadKubeConfig(kubeconfig);
    const core = adminKc.makeApiClient(CoreV1Api);

    let controllerManager: ManagedProcess | undefined;
    if (!options.withoutControllerManager) {
      const controllers = options.controllers ?? DEFAULT_CONTROLLERS;
      controllerManager = startProcess('kube-controller-manager', bins.kubeControllerManager, [
        `--kubeconfig=${kcmKubeconfig}`,
        `--controllers=${controllers.join(',')}`,
        // Every controller calls the API as its own service account (kube-system/<controller>),
        // as kubeadm clusters do: RBAC for the HPA's metrics reads is the shipped manifests'.
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${pki.serviceAccount.key}`, `--root-ca-file=${pki.ca.cert}`,
        '--leader-elect=false', '--secure-port=0',
        `--horizontal-pod-autoscaler-sync-period=${options.hpaSyncPeriod ?? '2s'}`,
        ...(options.controllerManagerArgs ?? []),
      ], join(logDir, 'kube-controller-manager.log'));
      procs.push(controllerManager);
      // Ready means the controllers run: the serviceaccount controller made default/default and
      // the HPA controller got its own service account.
      const accounts: [string, string][] = [];
      if (controllers.includes('serviceaccount-controller')) accounts.push(['default', 'default']);
      if (controllers.includes('horizontal-pod-autoscaler-controller')) accounts.push(['kube-system', 'horizontal-pod-autoscaler']);
      for (const [namespace, name] of accounts) {
        await waitReady(controllerManager, `service account ${namespace}/${name} (kube-controller-manager running)`, readyTimeoutMs,
          async () => Boolean(await core.readNamespacedServiceAccount({ namespace, name })));
      }
      log(`kube-controller-manager running ${controllers.join(',')} (${since()})`);
    }

    const cp: ControlPlane = {
      version: bins.version,
      binaries: bins,
      dir,
      server,
      etcdUrl: etcd.url,
      pki,
      kubeconfig,
      processes: { etcd: etcd.process, apiserver: apiserver.process, ...(controllerManager ? { controllerManager } : {}) },
      kubeConfig: (file) => (file ? loadKubeConfig(file) : loadKubeConfig(kubeconfig)),
      kubectl: (args, o = {}) => kubectl(o.kubeconfig ?? kubeconfig, args, o.timeoutMs ?? 30_000),
      kubectlOk: async (args, o = {}) => {
        const r = await kubectl(o.kubeconfig ?? kubeconfig, args, o.timeoutMs ?? 30_000);
        if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
        return r.stdout;
      },
      clientCertKubeconfig: async (user, groups = []) => {
        const name = `user-${user.replace(/[^a-zA-Z0-9.-]/g, '_')}`;
        const pair = await issueCert(pkiDir, name, pki.ca, { commonName: user, organizations: groups, usage: 'client' });
        return writeKubeconfig(join(dir, `${name}.kubeconfig`), server, pki.ca.cert, user, pair);
      },
      serviceAccountKubeconfig: async (namespace, name, expirationSeconds = 3600) => {
        await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } }).catch((err: unknown) => {
          if ((err as { code?: number }).code !== 409) throw err;
        });
        const tr = await core.createNamespacedServiceAccountToken({
          namespace, name, body: { spec: { audiences: [], expirationSeconds } },
        });
        const token = tr.status?.token;
        if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
        const user = `system:serviceaccount:${namespace}:${name}`;
        return writeKubeconfig(join(dir, `sa-${namespace}-${name}.kubeconfig`), server, pki.ca.cert, user, { token });
      },
      get: (path) => httpsGet(server, path, pki),
      logs: tails,
      stop,
    };
    log(`control plane up in ${since()}; admin kubeconfig ${kubeconfig}`);
    return cp;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const detail = procs.length > 0 ? `\n${tails()}` : '';
    await stop();
    throw new Error(`control plane did not start: ${message}${detail}`, { cause: err });
  }
}

/**
 * Polls `ready` until true; fails fast when the process exits, and on timeout appends `describe()`
 * (e.g. /readyz?verbose) and the process's log tail.
 */
async function waitReady(p: ManagedProcess, what: string, timeoutMs: number, ready: () => Promise<boolean>, describe?: () => Promise<string>): Promise<void> {
  await waitFor(what, async () => {
    if (!p.alive()) throw new GiveUp(`${p.name} exited (${await p.exited}) before ${what}:\n${lastLines(p.tail(), 60)}`);
    return ready();
  }, {
    timeoutMs,
    intervalMs: 300,
    describe: async () => `${describe ? await describe() : ''}\n----- ${p.name} log tail -----\n${lastLines(p.tail(), 60)}`,
  });
}

/**
 * Picks `count` free ports and runs `start`; when the process dies because a port was taken in
 * the meantime (bind race), tries again with new ports, up to three times.
 */
async function startWithFreePorts<T extends { process: ManagedProcess }>(what: string, count: number, start: (ports: number[]) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports = new Set<number>();
    while (ports.size < count) ports.add(await freePort());
    try {
      return await start([...ports]);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      if (attempt >= 3 || !/address already in use/i.test(text)) throw err;
      console.log(`control-plane: ${what}: port taken, retrying (${attempt})`);
    }
  }
}

function httpsGet(server: string, path: string, pki: Pki): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server), {
      ca: readFileSync(pki.ca.cert),
      cert: readFileSync(pki.admin.cert),
      key: readFileSync(pki.admin.key),
      timeout: 5_000,
    }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
