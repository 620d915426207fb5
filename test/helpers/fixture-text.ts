/**
 * Exposition text the fixture server serves, shaped like research/metric-sources.md
 * §1.5 (dcgm-exporter samples A and B) and §2.6 (kubelet /metrics/cadvisor with the pause
 * container and the pod-level cgroup row). Counters grow linearly at a known rate per
 * second, so Prometheus' rate() has one right answer.
 */

export interface GpuFixture {
  gpu: number;
  uuid: string;
  pciBusId: string;
  modelName: string;
  hostname: string;
  mig?: { readonly profile: string; readonly id: string };
  pod?: { readonly namespace: string; readonly name: string; readonly container: string };
  /** DCGM_FI_DEV_GPU_UTIL, 0–100; omitted when undefined (never on MIG in real life). */
  util?: number;
  /** DCGM_FI_PROF_GR_ENGINE_ACTIVE, 0–1; undefined = no profiling on this GPU. */
  grEngine?: number;
  fbUsed?: number;
  fbFree?: number;
}

/** Pod label names the exporter writes (`exported_*` after a ServiceMonitor rename). */
export interface DcgmPodLabels {
  readonly pod: string;
  readonly namespace: string;
  readonly container: string;
}

export interface IoRates {
  readonly readBytes: number;
  readonly writeBytes: number;
  readonly reads: number;
  readonly writes: number;
}

/** One (container, device) row set of the kubelet's cAdvisor output. */
export interface ContainerIoFixture {
  readonly namespace: string;
  readonly pod: string;
  readonly podUid: string;
  readonly container: string;
  readonly image: string;
  readonly containerId: string;
  readonly device: string;
  /** Per second. */
  readonly rates: IoRates;
}

/** Cumulative bucket rates per second, `+Inf` last, for http_request_duration_seconds. */
export interface LatencyFixture {
  readonly namespace: string;
  readonly pod: string;
  readonly buckets: ReadonlyArray<readonly [le: string, perSecond: number]>;
}

export interface GaugeFixture {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const HOST_A = 'gpu-node-a1';
const H100 = 'NVIDIA H100 80GB HBM3';
const A100 = 'NVIDIA A100 80GB PCIe';

/** Sample A (two H100 pods), sample B (MIG 3g+4g), and a T4 without profiling metrics. */
export function defaultGpus(): GpuFixture[] {
  const speech = (name: string, container: string) => ({ namespace: 'speech', name, container });
  return [
    { gpu: 0, uuid: 'GPU-3f1c2a9e-8d47-4b6e-9a1f-2c5d7e8f9a01', pciBusId: '00000000:18:00.0', modelName: H100, hostname: HOST_A,
      pod: speech('stt-worker-7d9f8c6b5-x2kqp', 'stt-worker'), util: 87, grEngine: 0.846212, fbUsed: 61234, fbFree: 19790 },
    { gpu: 1, uuid: 'GPU-9b2e4c71-05aa-4f3d-b8c2-6e1f0d9a7c35', pciBusId: '00000000:2A:00.0', modelName: H100, hostname: HOST_A,
      pod: speech('tts-worker-5c6b7f9d8-qm4lz', 'tts-worker'), util: 23, grEngine: 0.201877, fbUsed: 20480, fbFree: 60544 },
    { gpu: 0, uuid: 'GPU-6043e4b2-feaa-8010-34c7-61d1a01576bb', pciBusId: '00000000:3B:00.0', modelName: A100, hostname: 'gpu-node-b2',
      mig: { profile: '3g.40gb', id: '1' }, pod: speech('lipsync-6f8d9b7c4-p7wnt', 'lipsync'), grEngine: 0.664021, fbUsed: 28160, fbFree: 12800 },
    { gpu: 0, uuid: 'GPU-6043e4b2-feaa-8010-34c7-61d1a01576bb', pciBusId: '00000000:3B:00.0', modelName: A100, hostname: 'gpu-node-b2',
      mig: { profile: '4g.40gb', id: '2' }, grEngine: 0, fbUsed: 13, fbFree: 40947 },
    { gpu: 0, uuid: 'GPU-1c7d3e5f-2a4b-4c6d-8e0f-a1b2c3d4e5f6', pciBusId: '00000000:00:04.0', modelName: 'Tesla T4', hostname: 'gpu-node-c3',
      pod: { namespace: 'vision', name: 'ocr-6d5f7b8c9-z8x7c', container: 'ocr' }, util: 41, fbUsed: 3072, fbFree: 12288 },
  ];
}

function labelText(pairs: ReadonlyArray<readonly [string, string]>): string {
  return `{${pairs.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** Label order as render_metrics.go writes it. */
function gpuLabelText(g: GpuFixture, names: DcgmPodLabels): string {
  const pairs: Array<[string, string]> = [
    ['gpu', String(g.gpu)], ['UUID', g.uuid], ['pci_bus_id', g.pciBusId], ['device', `nvidia${g.gpu}`], ['modelName', g.modelName],
  ];
  if (g.mig) pairs.push(['GPU_I_PROFILE', g.mig.profile], ['GPU_I_ID', g.mig.id]);
  pairs.push(['Hostname', g.hostname], ['DCGM_FI_DRIVER_VERSION', '570.133.20']);
  if (g.pod) pairs.push([names.container, g.pod.container], [names.namespace, g.pod.namespace], [names.pod, g.pod.name]);
  return labelText(pairs);
}

const DCGM_FAMILIES: ReadonlyArray<readonly [string, keyof GpuFixture, string]> = [
  ['DCGM_FI_DEV_GPU_UTIL', 'util', 'GPU utilization (in %).'],
  ['DCGM_FI_DEV_FB_FREE', 'fbFree', 'Framebuffer memory free (in MiB).'],
  ['DCGM_FI_DEV_FB_USED', 'fbUsed', 'Framebuffer memory used (in MiB).'],
  ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'grEngine', 'Ratio of time the graphics engine is active.'],
];

export function renderDcgm(gpus: readonly GpuFixture[], names: DcgmPodLabels): string {
  const out: string[] = [];
  for (const [metric, field, help] of DCGM_FAMILIES) {
    out.push(`# HELP ${metric} ${help}`, `# TYPE ${metric} gauge`);
    for (const g of gpus) {
      const v = g[field];
      // dcgm-exporter prints ints as ints and doubles with %f.
      if (typeof v === 'number') out.push(`${metric}${gpuLabelText(g, names)} ${field === 'grEngine' ? v.toFixed(6) : v}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** The research pod `ingest` (two containers, two devices) and an `stt-worker` pod. */
export function defaultContainers(): ContainerIoFixture[] {
  const ingest = { namespace: 'media', pod: 'ingest-5b7c9d6f8-k4m2s', podUid: '7c0e2f4a-1b3d-4e5f-9a8b-0c1d2e3f4a5b' };
  const app = { ...ingest, container: 'app', image: 'registry.example.com/media/ingest:2.14.0', containerId: '9f2d4b6a8c0e' };
  return [
    { ...app, device: '/dev/nvme1n1', rates: { readBytes: 48e6, writeBytes: 18e6, reads: 380, writes: 140 } },
    { ...app, device: '/dev/nvme0n1', rates: { readBytes: 2e6, writeBytes: 1e6, reads: 20, writes: 10 } },
    { ...ingest, container: 'log-shipper', image: 'docker.io/fluent/fluent-bit:3.2.4', containerId: '3a5c7e9b1d3f', device: '/dev/nvme0n1',
      rates: { readBytes: 1e6, writeBytes: 6e6, reads: 20, writes: 60 } },
    { namespace: 'speech', pod: 'stt-worker-7d9f8c6b5-x2kqp', podUid: '2b4d6f8a-0c1e-4a3b-9d5f-7e9a1c3b5d7f', container: 'stt-worker',
      image: 'registry.example.com/speech/stt:1.4.2', containerId: '5e7a9c1b3d5f', device: '/dev/nvme0n1',
      rates: { readBytes: 8e6, writeBytes: 2e6, reads: 100, writes: 50 } },
  ];
}

const IO_FAMILIES: ReadonlyArray<readonly [string, keyof IoRates]> = [
  ['container_fs_reads_bytes_total', 'readBytes'],
  ['container_fs_writes_bytes_total', 'writeBytes'],
  ['container_fs_reads_total', 'reads'],
  ['container_fs_writes_total', 'writes'],
];

/** Counters start well above zero so rate()'s zero-clamp never applies. */
const COUNTER_BASE = 1e6;

function podSlice(c: ContainerIoFixture): string {
  return `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${c.podUid.replace(/-/g, '_')}.slice`;
}

function ioLabels(c: ContainerIoFixture, row: 'container' | 'pod' | 'pause'): string {
  const slice = podSlice(c);
  const [container, image, name, id] =
    row === 'container' ? [c.container, c.image, c.containerId, `${slice}/cri-containerd-${c.containerId}.scope`]
    : row === 'pause' ? ['', 'registry.k8s.io/pause:3.10', `pause${c.podUid}`, `${slice}/cri-containerd-pause.scope`]
    : ['', '', '', slice];
  return labelText([['container', container], ['device', c.device], ['id', id], ['image', image], ['name', name], ['namespace', c.namespace], ['pod', c.pod]]);
}

/**
 * cAdvisor text at `nowMs`: container rows growing at their rates since `t0Ms`, a pod-level
 * cgroup row per (pod, device) holding the sum (hierarchical, as the kernel reports it), and a
 * pause row stuck at 0. Every line carries the kubelet's millisecond timestamp.
 */
export function renderCadvisor(containers: readonly ContainerIoFixture[], t0Ms: number, nowMs: number): string {
  const secs = (nowMs - t0Ms) / 1000;
  const out: string[] = [];
  for (const [metric, field] of IO_FAMILIES) {
    out.push(`# TYPE ${metric} counter`);
    const podRows = new Map<string, { c: ContainerIoFixture; v: number }>();
    for (const c of containers) {
      const v = COUNTER_BASE + c.rates[field] * secs;
      out.push(`${metric}${ioLabels(c, 'container')} ${v} ${nowMs}`);
      const key = `${c.podUid}|${c.device}`;
      const row = podRows.get(key);
      podRows.set(key, { c, v: (row?.v ?? 0) + v });
    }
    for (const { c, v } of podRows.values()) {
      out.push(`${metric}${ioLabels(c, 'pod')} ${v} ${nowMs}`);
      out.push(`${metric}${ioLabels(c, 'pause')} 0 ${nowMs}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** p99 0.5 s (rank 99 ends the 0.5 bucket) and 0.975 s (0.5 + 0.5 × 19/20). */
export function defaultLatency(): LatencyFixture[] {
  return [
    { namespace: 'speech', pod: 'stt-worker-7d9f8c6b5-x2kqp', buckets: [['0.1', 90], ['0.5', 99], ['1', 100], ['+Inf', 100]] },
    { namespace: 'speech', pod: 'tts-worker-5c6b7f9d8-qm4lz', buckets: [['0.1', 50], ['0.5', 80], ['1', 100], ['+Inf', 100]] },
  ];
}

export function defaultGauges(): GaugeFixture[] {
  return [
    { name: 'fixture_queue_backlog', labels: { queue: 'stt-queue', tier: 'gold' }, value: 42 },
    { name: 'fixture_queue_backlog', labels: { queue: 'tts-queue', tier: 'silver' }, value: 7 },
    { name: 'fixture_deployment_inflight', labels: { namespace: 'speech', deployment: 'stt-worker' }, value: 12 },
  ];
}

/** A counter growing by `perSecond` from the fixture's start, so rate() has one right answer. */
export interface CounterFixture {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly perSecond: number;
}

/** None by default: tests that need counters (prometheus-adapter rate rules) set them. */
export function defaultCounters(): CounterFixture[] {
  return [];
}

/** Counter families, appended to /app. */
export function renderCounters(counters: readonly CounterFixture[], t0Ms: number, nowMs: number): string {
  const secs = (nowMs - t0Ms) / 1000;
  const names = [...new Set(counters.map((c) => c.name))];
  const out: string[] = [];
  for (const name of names) {
    out.push(`# TYPE ${name} counter`);
    for (const c of counters.filter((x) => x.name === name)) out.push(`${name}${labelText(Object.entries(c.labels))} ${COUNTER_BASE + c.perSecond * secs}`);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** An application's own /metrics: a latency histogram per pod plus plain gauges. */
export function renderApp(latency: readonly LatencyFixture[], gauges: readonly GaugeFixture[], t0Ms: number, nowMs: number): string {
  const secs = (nowMs - t0Ms) / 1000;
  const out: string[] = ['# TYPE http_request_duration_seconds histogram'];
  for (const l of latency) {
    const base = [['namespace', l.namespace], ['pod', l.pod]] as const;
    for (const [le, perSecond] of l.buckets) {
      out.push(`http_request_duration_seconds_bucket${labelText([...base, ['le', le]])} ${COUNTER_BASE + perSecond * secs}`);
    }
    const total = l.buckets[l.buckets.length - 1]?.[1] ?? 0;
    out.push(`http_request_duration_seconds_count${labelText(base)} ${COUNTER_BASE + total * secs}`);
  }
  for (const g of gauges) out.push(`${g.name}${labelText(Object.entries(g.labels))} ${g.value}`);
  return `${out.join('\n')}\n`;
}
