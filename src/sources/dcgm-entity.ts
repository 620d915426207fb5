import type { Target } from '../store/types.js';
import type { Labels } from '../util/labels.js';

/** The names and label conventions of dcgm-exporter that the DCGM mapping shares. */

export const GPU_DUTY_CYCLE = 'nvidia_gpu_duty_cycle';
export const GPU_MEMORY_UTILIZATION = 'gpu_memory_utilization';

export const GR_ENGINE = 'DCGM_FI_PROF_GR_ENGINE_ACTIVE';
export const GPU_UTIL = 'DCGM_FI_DEV_GPU_UTIL';
export const FB_USED = 'DCGM_FI_DEV_FB_USED';
export const FB_FREE = 'DCGM_FI_DEV_FB_FREE';

export const GPU_LABELS = ['gpu', 'modelName', 'device'] as const;
export const MIG_LABELS = ['GPU_I_ID', 'GPU_I_PROFILE'] as const;

export interface DcgmLabelNames {
  readonly pod: string;
  readonly namespace: string;
  readonly container: string;
  /** First present, non-empty one names the node (`Hostname` became `hostname` in #655). */
  readonly node: readonly string[];
}

/**
 * All families of one exporter series in one poll: same identifying labels, different metric
 * names. The object lives as long as the series does, across polls; the values are the
 * current poll's only (reset on its first sample of a poll, see DcgmSeries).
 */
export interface Entity {
  /** The labels of the series' first sample in `poll`. */
  labels: Record<string, string>;
  /** The poll the values below belong to. */
  poll: number;
  /** Forgotten by DcgmSeries (not seen for a poll); a label object still pointing here must look again. */
  gone: boolean;
  gr: number | undefined;
  util: number | undefined;
  fbUsed: number | undefined;
  fbFree: number | undefined;
  tsMs: number | undefined;
  /** What the points need from `labels`, built once per label object rather than per poll. */
  derived: Derived | undefined;
}

export interface Derived {
  /** Undefined for a GPU no pod uses. */
  readonly pod: { readonly target: Target; readonly labels: Labels } | undefined;
  readonly node: { readonly target: Target; readonly key: string; readonly labels: Labels } | undefined;
  /** One physical GPU (or one MIG slice of it) on one exporter host; built only for exporters with GR_ENGINE (gpuKey()). */
  gpuKey: string | undefined;
  /** The MIG slice id, '' for a whole GPU. */
  readonly slice: string;
}

export function newEntity(labels: Record<string, string>): Entity {
  return { labels, poll: -1, gone: false, gr: undefined, util: undefined, fbUsed: undefined, fbFree: undefined, tsMs: undefined, derived: undefined };
}

export function uuidOf(labels: Record<string, string>): string {
  // `uuid` under --use-old-namespace; the gpu index is a last resort.
  return labels.UUID ?? labels.uuid ?? `gpu${labels.gpu ?? ''}`;
}

export function derive(e: Entity, names: DcgmLabelNames): Derived {
  if (e.derived) return e.derived;
  const l = e.labels;
  e.derived = {
    pod: podPart(l, names),
    node: nodePart(l, names),
    gpuKey: undefined,
    slice: l.GPU_I_ID ?? '',
  };
  return e.derived;
}

export function gpuKey(d: Derived, l: Record<string, string>): string {
  return (d.gpuKey ??= `${l.Hostname ?? l.hostname ?? ''}|${uuidOf(l)}|${l.GPU_I_ID ?? ''}`);
}

function podPart(l: Record<string, string>, names: DcgmLabelNames): Derived['pod'] {
  const pod = l[names.pod];
  const namespace = l[names.namespace];
  if (!pod || !namespace) return undefined; // unmapped GPU: missing and empty mean the same
  const labels = gpuLabels(l, true);
  const container = l[names.container];
  if (container) labels.container = container;
  return { target: { kind: 'object', resource: 'pods', namespace, name: pod }, labels };
}

function nodePart(l: Record<string, string>, names: DcgmLabelNames): Derived['node'] {
  let node: string | undefined;
  for (const n of names.node) if ((node = l[n])) break;
  if (!node) return undefined;
  return { target: { kind: 'object', resource: 'nodes', name: node }, key: `${node}|${uuidOf(l)}`, labels: gpuLabels(l, false) };
}

function gpuLabels(src: Record<string, string>, withMig: boolean): Record<string, string> {
  const out: Record<string, string> = { UUID: uuidOf(src) };
  for (const k of GPU_LABELS) if (src[k] !== undefined) out[k] = src[k];
  if (withMig) for (const k of MIG_LABELS) if (src[k] !== undefined) out[k] = src[k];
  return out;
}
