import type { MetricPoint, Target } from '../store/types.js';
import type { Labels } from '../util/labels.js';
import { GPU_DUTY_CYCLE, GPU_MEMORY_UTILIZATION, derive, gpuKey, type DcgmLabelNames, type Derived, type Entity } from './dcgm-entity.js';

/**
 * The points of one poll's entities: one per GPU (or MIG slice) per pod, plus one per physical
 * GPU per node. Added one entity at a time so the work can be split over turns. Targets and
 * labels come from the entity (shared across polls); only the points themselves are new.
 */
export class PointBuilder {
  private readonly out: MetricPoint[] = [];
  private readonly grGpus = new Set<string>();

  constructor(
    entities: readonly Entity[],
    private readonly names: DcgmLabelNames,
    private readonly scrapeMs: number,
    private readonly nodes: NodeGpus = new NodeGpus(),
  ) {
    for (const e of entities) if (e.gr !== undefined) this.grGpus.add(gpuKey(derive(e, names), e.labels));
    nodes.begin();
  }

  add(e: Entity): void {
    const ts = e.tsMs ?? this.scrapeMs;
    const d = derive(e, this.names);
    const duty = dutyPercent(e, d.slice !== '', this.grGpus.size > 0 ? gpuKey(d, e.labels) : '', this.grGpus);
    if (d.pod) {
      if (duty !== undefined) this.out.push(point(GPU_DUTY_CYCLE, d.pod.target, d.pod.labels, duty, ts));
      const mem = memoryPercent(e);
      if (mem !== undefined) this.out.push(point(GPU_MEMORY_UTILIZATION, d.pod.target, d.pod.labels, mem, ts));
    }
    if (duty !== undefined && d.node) this.nodes.add(d.node, d.slice, duty, ts);
  }

  finish(): MetricPoint[] {
    this.nodes.points(this.out);
    return this.out;
  }
}

function point(metric: string, target: Target, labels: Labels, value: number, timestampMs: number): MetricPoint {
  return { metric, target, labels, value, timestampMs };
}

/**
 * GR_ENGINE_ACTIVE (0–1) when the GPU/slice has it; GPU_UTIL only for GPUs that export no
 * GR_ENGINE at all (mixing the two scales inside one pod mean would be wrong) and never on
 * MIG slices, where it is unsupported and reads 0. Out-of-range values (the 4294967295
 * glitch) are dropped, not clamped.
 */
function dutyPercent(e: Entity, mig: boolean, gpuKey: string, grGpus: ReadonlySet<string>): number | undefined {
  let pct: number | undefined;
  if (e.gr !== undefined) pct = e.gr * 100;
  else if (e.util !== undefined && !mig && !(grGpus.size > 0 && grGpus.has(gpuKey))) pct = e.util;
  return pct !== undefined && pct >= 0 && pct <= 100 ? pct : undefined;
}

/** FB_USED/(FB_USED+FB_FREE) in %; FB_RESERVED is the driver's and not the pod's to use. */
function memoryPercent(e: Entity): number | undefined {
  if (e.fbUsed === undefined || e.fbFree === undefined) return undefined;
  const total = e.fbUsed + e.fbFree;
  if (!(total > 0) || e.fbUsed < 0 || e.fbFree < 0) return undefined;
  return (e.fbUsed / total) * 100;
}

/**
 * A node's physical GPU. MIG slices are folded into their GPU as the plain mean of the
 * slices, so a node's value stays "mean over its GPUs" whether or not a GPU is split
 * (weighting by slice size is not expressible in the PromQL path, and both paths must agree).
 */
interface NodeGpu {
  target: Target;
  labels: Labels;
  /** The pass whose values these are. */
  pass: number;
  tsMs: number;
  /** The whole GPU's duty; first writer wins, since shared-GPU copies repeat it. */
  whole: number | undefined;
  /** Per MIG slice, first writer wins; only split GPUs have it. */
  slices: Map<string, number> | undefined;
}

type NodePart = NonNullable<Derived['node']>;

/**
 * The node GPUs of one build pass, kept from pass to pass (one per source) so a steady
 * exporter does not rebuild ~1 250 objects and their map every poll. Points come out in the
 * order of the pass's first sample per GPU.
 */
export class NodeGpus {
  private readonly gpus = new Map<string, NodeGpu>();
  private touched: NodeGpu[] = [];
  private pass = 0;

  /** Starts a pass: GPUs the last one did not see are forgotten. */
  begin(): void {
    for (const [key, g] of this.gpus) if (g.pass !== this.pass) this.gpus.delete(key);
    this.pass++;
    this.touched = [];
  }

  add(node: NodePart, slice: string, duty: number, ts: number): void {
    let g = this.gpus.get(node.key);
    if (g === undefined) {
      g = { target: node.target, labels: node.labels, pass: -1, tsMs: ts, whole: undefined, slices: undefined };
      this.gpus.set(node.key, g);
    }
    if (g.pass !== this.pass) {
      // First sample of this pass: the labels are this pass's first entity's, nothing carries over.
      g.target = node.target;
      g.labels = node.labels;
      g.pass = this.pass;
      g.tsMs = ts;
      g.whole = undefined;
      g.slices?.clear();
      this.touched.push(g);
    }
    if (slice === '') g.whole ??= duty;
    else if (!(g.slices ??= new Map()).has(slice)) g.slices.set(slice, duty);
    g.tsMs = Math.max(g.tsMs, ts);
  }

  points(out: MetricPoint[]): void {
    for (const g of this.touched) out.push(point(GPU_DUTY_CYCLE, g.target, g.labels, nodeDuty(g), g.tsMs));
  }
}

/** A whole-GPU series next to slices of the same GPU is not meaningful in MIG mode: slices win. */
function nodeDuty(g: NodeGpu): number {
  if (g.slices === undefined || g.slices.size === 0) return g.whole as number;
  let sum = 0;
  for (const v of g.slices.values()) sum += v;
  return sum / g.slices.size;
}
