/**
 * Plays the parts of kube-scheduler and kubelet that the HPA needs, like KWOK's fast stages:
 * registers a Ready Node, binds unassigned pods to it, marks bound pods Running and Ready
 * (status subresource) and force-deletes terminating pods (no kubelet will ever confirm them).
 * Polls every `intervalMs`; each pass is a handful of requests against a local apiserver.
 */
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';

export interface FakeKubeletOptions {
  /** Node name (default `fake-node`). */
  readonly nodeName?: string;
  /** Only pods in these namespaces (default: all). */
  readonly namespaces?: readonly string[];
  readonly intervalMs?: number;
  /** Called with a line per action (bind, ready, force-delete) and per error. */
  readonly log?: (line: string) => void;
}

export interface FakeKubelet {
  readonly nodeName: string;
  /** Pods this loop marked Ready since start, as `namespace/name`. */
  readonly readied: ReadonlySet<string>;
  /** Runs one pass now (the loop also runs on its own); resolves when it is done. */
  sync(): Promise<void>;
  /** Stops the loop; waits for a pass in flight. */
  stop(): Promise<void>;
}

export async function startFakeKubelet(kc: KubeConfig, options: FakeKubeletOptions = {}): Promise<FakeKubelet> {
  const core = kc.makeApiClient(CoreV1Api);
  const nodeName = options.nodeName ?? 'fake-node';
  const log = options.log ?? (() => undefined);
  const readied = new Set<string>();
  let ipCounter = 1;
  const podIps = new Map<string, string>();

  await ensureNode(core, nodeName);

  const pass = async () => {
    const pods = await listPods(core, options.namespaces);
    for (const pod of pods) {
      const namespace = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '';
      const key = `${namespace}/${name}`;
      try {
        if (pod.metadata?.deletionTimestamp) {
          await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
          podIps.delete(key);
          readied.delete(key);
          log(`force-deleted ${key}`);
        } else if (!pod.spec?.nodeName) {
          await core.createNamespacedPodBinding({
            namespace,
            name,
            body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
          });
          log(`bound ${key} to ${nodeName}`);
        } else if (pod.spec.nodeName === nodeName && !isRunningAndReady(pod)) {
          let ip = podIps.get(key);
          if (!ip) podIps.set(key, (ip = `10.244.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 2}`));
          await core.patchNamespacedPodStatus({ namespace, name, body: runningStatus(pod, ip) }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
          readied.add(key);
          log(`marked ${key} Running and Ready`);
        }
      } catch (err) {
        // 404/409: the pod changed under us (deleted, already bound); the next pass sees the truth.
        const code = (err as { code?: number }).code;
        if (code !== 404 && code !== 409) log(`error on ${key}: ${errorText(err)}`);
      }
    }
  };

  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const sync = () => {
    inFlight = inFlight.then(pass).catch((err: unknown) => log(`pass failed: ${errorText(err)}`));
    return inFlight;
  };
  const loop = async () => {
    if (stopped) return;
    await sync();
    if (!stopped) timer = setTimeout(() => void loop(), options.intervalMs ?? 300);
  };
  void loop();

  return {
    nodeName,
    readied,
    sync,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}

async function ensureNode(core: CoreV1Api, name: string): Promise<void> {
  const now = new Date();
  const node: V1Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'type': 'fake' } },
    spec: {},
  };
  try {
    await core.createNode({ body: node });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
  const capacity = { cpu: '64', memory: '256Gi', pods: '250', 'nvidia.com/gpu': '8' };
  const status = {
    capacity,
    allocatable: capacity,
    addresses: [{ type: 'InternalIP', address: '192.0.2.20' }, { type: 'Hostname', address: name }],
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fake kubelet', lastHeartbeatTime: now, lastTransitionTime: now }],
    nodeInfo: {
      architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'fake', kubeProxyVersion: '', bootID: '', machineID: '',
      systemUUID: '', containerRuntimeVersion: 'fake://1', kernelVersion: '', osImage: 'fake',
    },
  };
  await core.patchNodeStatus({ name, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

async function listPods(core: CoreV1Api, namespaces: readonly string[] | undefined): Promise<V1Pod[]> {
  if (!namespaces) return (await core.listPodForAllNamespaces()).items;
  const lists = await Promise.all(namespaces.map((namespace) => core.listNamespacedPod({ namespace })));
  return lists.flatMap((l) => l.items);
}

function isRunningAndReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function runningStatus(pod: V1Pod, podIp: string): object {
  const now = new Date().toISOString();
  const condition = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
  return {
    status: {
      phase: 'Running',
      hostIP: '192.0.2.20',
      hostIPs: [{ ip: '192.0.2.20' }],
      podIP: podIp,
      podIPs: [{ ip: podIp }],
      startTime: now,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition),
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        containerID: `fake://${pod.metadata?.uid ?? ''}/${c.name}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    },
  };
}

function errorText(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  const body = typeof e.body === 'string' ? e.body : JSON.stringify(e.body ?? '');
  return `${e.code ?? ''} ${e.message ?? String(err)} ${body}`.trim().slice(0, 500);
}
