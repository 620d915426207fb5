import type { MetricPoint } from '../store/types.js';
import type { PromSample } from './prom-text.js';

/**
 * Pure mapping from dcgm-exporter samples to catalog points: one point per GPU (or MIG
 * slice) per pod, plus one per physical GPU per node. The store aggregates per object
 * (mean/max), so nothing is averaged here except MIG slices into their node GPU.
 */

export const GPU_DUTY_CYCLE = 'nvidia_gpu_duty_cycle';
export const GPU_MEMORY_UTILIZATION = 'gpu_memory_utilization';

const GR_ENGINE = 'DCGM_FI_PROF_GR_ENGINE_ACTIVE';
const GPU_UTIL = 'DCGM_FI_DEV_GPU_UTIL';
const FB_USED = 'DCGM_FI_DEV_FB_USED';
const FB_FREE = 'DCGM_FI_DEV_FB_FREE';

/** The only families read; the parser skips every other line. */
export const DCGM_FAMILIES: ReadonlySet<string> = new Set([GR_ENGINE, GPU_UTIL, FB_USED, FB_FREE]);

export interface DcgmLabelNames {
  readonly pod: string;
  readonly namespace: string;
  readonly container: string;
  /** First present, non-empty one names the node (`Hostname` became `hostname` in #655). */
  readonly node: readonly string[];
}

/** All families of one exporter series: same label set, different metric names. */
interface Entity {
  readonly labels: Record<string, string>;
  gr?: number;
  util?: number;
  fbUsed?: number;
  fbFree?: number;
  tsMs?: number;
}

export function dcgmPoints(samples: readonly PromSample[], names: DcgmLabelNames, scrapeMs: number): MetricPoint[] {
  const entities = groupEntities(samples);
  const grGpus = new Set<string>();
  for (const e of entities) if (e.gr !== undefined) grGpus.add(gpuKey(e.labels));
  const out: MetricPoint[] = [];
  const nodeGpus = new Map<string, NodeGpu>();
  for (const e of entities) {
    const ts = e.tsMs ?? scrapeMs;
    const duty = dutyPercent(e, grGpus);
    podPoints(e, duty, names, ts, out);
    if (duty !== undefined) addNodeGpu(nodeGpus, e, duty, names, ts);
  }
  for (const g of nodeGpus.values()) out.push(nodePoint(g));
  return out;
}

function groupEntities(samples: readonly PromSample[]): Entity[] {
  const byKey = new Map<string, Entity>();
  for (const s of samples) {
    if (!Number.isFinite(s.value)) continue;
    const key = labelKey(s.labels);
    let e = byKey.get(key);
    if (!e) byKey.set(key, (e = { labels: s.labels }));
    if (s.timestampMs !== undefined) e.tsMs = Math.max(e.tsMs ?? 0, s.timestampMs);
    if (s.name === GR_ENGINE) e.gr = s.value;
    else if (s.name === GPU_UTIL) e.util = s.value;
    else if (s.name === FB_USED) e.fbUsed = s.value;
    else if (s.name === FB_FREE) e.fbFree = s.value;
  }
  return [...byKey.values()];
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
}

function uuidOf(labels: Record<string, string>): string {
  // `uuid` under --use-old-namespace; the gpu index is a last resort.
  return labels.UUID ?? labels.uuid ?? `gpu${labels.gpu ?? ''}`;
}

/** One physical GPU (or one MIG slice of it) on one exporter host. */
function gpuKey(labels: Record<string, string>): string {
  return `${labels.Hostname ?? labels.hostname ?? ''}|${uuidOf(labels)}|${labels.GPU_I_ID ?? ''}`;
}

function isMig(labels: Record<string, string>): boolean {
  return Boolean(labels.GPU_I_ID);
}

/**
 * GR_ENGINE_ACTIVE (0–1) when the GPU/slice has it; GPU_UTIL only for GPUs that export no
 * GR_ENGINE at all (mixing the two scales inside one pod mean would be wrong) and never on
 * MIG slices, where it is unsupported and reads 0. Out-of-range values (the 4294967295
 * glitch) are dropped, not clamped.
 */
function dutyPercent(e: Entity, grGpus: ReadonlySet<string>): number | undefined {
  let pct: number | undefined;
  if (e.gr !== undefined) pct = e.gr * 100;
  else if (e.util !== undefined && !isMig(e.labels) && !grGpus.has(gpuKey(e.labels))) pct = e.util;
  return pct !== undefined && pct >= 0 && pct <= 100 ? pct : undefined;
}

/** FB_USED/(FB_USED+FB_FREE) in %; FB_RESERVED is the driver's and not the pod's to use. */
function memoryPercent(e: Entity): number | undefined {
  if (e.fbUsed === undefined || e.fbFree === undefined) return undefined;
  const total = e.fbUsed + e.fbFree;
  if (!(total > 0) || e.fbUsed < 0 || e.fbFree < 0) return undefined;
  return (e.fbUsed / total) * 100;
}

function podPoints(e: Entity, duty: number | undefined, names: DcgmLabelNames, ts: number, out: MetricPoint[]): void {
  const pod = e.labels[names.pod];
  const namespace = e.labels[names.namespace];
  if (!pod || !namespace) return; // unmapped GPU: missing and empty mean the same
  const target = { kind: 'object', resource: 'pods', namespace, name: pod } as const;
  const labels = gpuLabels(e.labels, true);
  const container = e.labels[names.container];
  if (container) labels.container = container;
  if (duty !== undefined) out.push({ metric: GPU_DUTY_CYCLE, target, labels, value: duty, timestampMs: ts });
  const mem = memoryPercent(e);
  if (mem !== undefined) out.push({ metric: GPU_MEMORY_UTILIZATION, target, labels, value: mem, timestampMs: ts });
}

const GPU_LABELS = ['gpu', 'modelName', 'device'] as const;
const MIG_LABELS = ['GPU_I_ID', 'GPU_I_PROFILE'] as const;

function gpuLabels(src: Record<string, string>, withMig: boolean): Record<string, string> {
  const out: Record<string, string> = { UUID: uuidOf(src) };
  for (const k of GPU_LABELS) if (src[k] !== undefined) out[k] = src[k];
  if (withMig) for (const k of MIG_LABELS) if (src[k] !== undefined) out[k] = src[k];
  return out;
}

/**
 * A node's physical GPU. MIG slices are folded into their GPU as the plain mean of the
 * slices, so a node's value stays "mean over its GPUs" whether or not a GPU is split
 * (weighting by slice size is not expressible in the PromQL path, and both paths must agree).
 */
interface NodeGpu {
  readonly node: string;
  readonly labels: Record<string, string>;
  /** Per slice (or '' for a whole GPU); first writer wins, since shared-GPU copies repeat it. */
  readonly slices: Map<string, number>;
  tsMs: number;
}

function addNodeGpu(gpus: Map<string, NodeGpu>, e: Entity, duty: number, names: DcgmLabelNames, ts: number): void {
  const node = names.node.map((l) => e.labels[l]).find((v) => v);
  if (!node) return;
  const key = `${node}|${uuidOf(e.labels)}`;
  let g = gpus.get(key);
  if (!g) gpus.set(key, (g = { node, labels: gpuLabels(e.labels, false), slices: new Map(), tsMs: ts }));
  const slice = e.labels.GPU_I_ID ?? '';
  if (!g.slices.has(slice)) g.slices.set(slice, duty);
  g.tsMs = Math.max(g.tsMs, ts);
}

function nodePoint(g: NodeGpu): MetricPoint {
  // A whole-GPU series next to slices of the same GPU is not meaningful in MIG mode.
  const values = [...g.slices].filter(([id]) => id !== '' || g.slices.size === 1).map(([, v]) => v);
  const value = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    metric: GPU_DUTY_CYCLE,
    target: { kind: 'object', resource: 'nodes', name: g.node },
    labels: g.labels,
    value,
    timestampMs: g.tsMs,
  };
}
