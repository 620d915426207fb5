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
  const series = new DcgmSeries(names);
  for (const s of samples) series.add(s);
  return series.points(scrapeMs);
}

/** The labels dcgmPoints reads; a parser may drop every other one. */
export function dcgmLabelsRead(names: DcgmLabelNames): ReadonlySet<string> {
  return new Set(['UUID', 'uuid', 'gpu', 'Hostname', 'hostname', ...GPU_LABELS, ...MIG_LABELS, names.pod, names.namespace, names.container, ...names.node]);
}

/**
 * Samples grouped into entities as they are parsed, so a caller can stream a body through
 * it and keep one label object per GPU-and-pod instead of one per sample.
 */
export class DcgmSeries {
  /** In order of first appearance, which is the order of the points. */
  private readonly entities: Entity[] = [];
  /** By GPU UUID: a few entities only when the GPU is split (MIG) or shared by pods. */
  private readonly byGpu = new Map<string, Entity[]>();

  constructor(
    private readonly names: DcgmLabelNames,
    /** Applied to the labels of each new entity, e.g. to copy and share label strings. */
    private readonly keepLabels: (labels: Record<string, string>) => Record<string, string> = (l) => l,
  ) {}

  add(s: PromSample): void {
    if (!Number.isFinite(s.value)) return;
    const same = this.byGpu.get(uuidOf(s.labels));
    let e = same?.find((c) => this.sameSeries(c.labels, s.labels));
    if (!e) {
      e = { labels: this.keepLabels(s.labels) };
      this.entities.push(e);
      if (same) same.push(e);
      else this.byGpu.set(uuidOf(e.labels), [e]);
    }
    if (s.timestampMs !== undefined) e.tsMs = Math.max(e.tsMs ?? 0, s.timestampMs);
    if (s.name === GR_ENGINE) e.gr = s.value;
    else if (s.name === GPU_UTIL) e.util = s.value;
    else if (s.name === FB_USED) e.fbUsed = s.value;
    else if (s.name === FB_FREE) e.fbFree = s.value;
  }

  points(scrapeMs: number): MetricPoint[] {
    const build = new PointBuilder(this.entities, this.names, scrapeMs);
    for (const e of this.entities) build.add(e);
    return build.finish();
  }

  /** points(), letting the event loop run between slices of 2 000 entities (~4 ms each). */
  async pointsInTurns(scrapeMs: number): Promise<MetricPoint[]> {
    const build = new PointBuilder(this.entities, this.names, scrapeMs);
    for (let i = 0; i < this.entities.length; i++) {
      build.add(this.entities[i] as Entity);
      if (i % 2_000 === 1_999) await new Promise((resolve) => setImmediate(resolve));
    }
    return build.finish();
  }

  /**
   * The families of one exporter series share its labels. Besides the UUID, those that tell
   * series apart: host, GPU index, MIG slice, and the pod using it (a time-sliced GPU repeats
   * its series per pod). Comparing these beats building a key string per sample.
   */
  private sameSeries(a: Record<string, string>, b: Record<string, string>): boolean {
    const { pod, namespace, container } = this.names;
    return (
      a[pod] === b[pod] && a[namespace] === b[namespace] && a[container] === b[container] && a.GPU_I_ID === b.GPU_I_ID &&
      a.gpu === b.gpu && a.Hostname === b.Hostname && a.hostname === b.hostname
    );
  }
}

/** The points of a set of entities, added one at a time so the work can be split. */
class PointBuilder {
  private readonly out: MetricPoint[] = [];
  private readonly nodeGpus = new Map<string, NodeGpu>();
  private readonly grGpus = new Set<string>();

  constructor(
    entities: readonly Entity[],
    private readonly names: DcgmLabelNames,
    private readonly scrapeMs: number,
  ) {
    for (const e of entities) if (e.gr !== undefined) this.grGpus.add(gpuKey(e.labels));
  }

  add(e: Entity): void {
    const ts = e.tsMs ?? this.scrapeMs;
    const duty = dutyPercent(e, this.grGpus);
    podPoints(e, duty, this.names, ts, this.out);
    if (duty !== undefined) addNodeGpu(this.nodeGpus, e, duty, this.names, ts);
  }

  finish(): MetricPoint[] {
    for (const g of this.nodeGpus.values()) this.out.push(nodePoint(g));
    return this.out;
  }
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
  else if (e.util !== undefined && !isMig(e.labels) && !(grGpus.size > 0 && grGpus.has(gpuKey(e.labels)))) pct = e.util;
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
  let node: string | undefined;
  for (const l of names.node) if ((node = e.labels[l])) break;
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
