import type { V1Node } from '@kubernetes/client-node';
import { detectCapacityType, detectInterruption } from '../signals.js';
import type { InterruptionSignal, NodeInfo, Taint } from '../types.js';
import { quantity, stringMap, toMillis } from './object-fields.js';

/** What the snapshot builder knows about a node besides the Node object itself. */
export interface NodeContext {
  /** Configured pool (pool-membership.ts); undefined = not managed. */
  pool?: string;
  /** The pool's extended resource (`nvidia.com/gpu` or a MIG profile). */
  gpuResource: string;
  /** Σ requests of gpuResource over non-terminal pods bound to the node. */
  gpuAllocated: number;
  /** Windowed DCGM mean; absent = unknown, never 0. */
  dcgm?: { util: number; ageSeconds: number };
}

/**
 * Labels that cloud node pools, GPU feature discovery and Karpenter set when a node registers,
 * before the device plugin reports any GPU: a node with one and 0 allocatable GPUs is a GPU node
 * still starting (§4.2 gpuNotReady), not a node without GPUs. The cloud ones are the labels
 * Cluster Autoscaler's providers use as their GPULabel.
 */
const ACCELERATOR_LABELS: readonly string[] = [
  'nvidia.com/gpu.product', // NVIDIA GPU feature discovery / GPU operator
  'nvidia.com/gpu.count',
  'cloud.google.com/gke-accelerator', // GKE
  'k8s.amazonaws.com/accelerator', // Cluster Autoscaler on AWS
  'kubernetes.azure.com/accelerator', // AKS
  'karpenter.k8s.aws/instance-gpu-name', // Karpenter on AWS
];

/** Present as `"true"` only (GPU feature discovery writes `nvidia.com/gpu.present=true`). */
const PRESENT_LABELS: readonly string[] = ['nvidia.com/gpu.present', 'feature.node.kubernetes.io/pci-10de.present'];

/** Pure: a Node object plus its context → NodeInfo. */
export function toNodeInfo(node: V1Node, ctx: NodeContext): NodeInfo {
  const meta = node.metadata ?? {};
  const labels = stringMap(meta.labels);
  const annotations = stringMap(meta.annotations);
  const taints = nodeTaints(node);
  const info: NodeInfo = {
    name: meta.name ?? '',
    createdAt: toMillis(meta.creationTimestamp) ?? 0,
    ready: isReady(node),
    unschedulable: node.spec?.unschedulable === true,
    acceleratorLabel: hasAcceleratorLabel(labels),
    gpuAllocatable: allocatable(node, ctx.gpuResource),
    gpuAllocated: ctx.gpuAllocated,
    taints,
    annotations,
  };
  if (ctx.pool !== undefined) info.pool = ctx.pool;
  const capacityType = detectCapacityType(labels);
  if (capacityType !== undefined) info.capacityType = capacityType;
  if (ctx.dcgm !== undefined) info.dcgm = ctx.dcgm;
  const interruption = detectInterruption({ labels, annotations, taints, providerID: node.spec?.providerID });
  if (interruption !== undefined) info.interruption = stripUndefined(interruption);
  return info;
}

/** The interruption notice a Node object carries, read the way toNodeInfo() reads it. */
export function nodeInterruption(node: V1Node): InterruptionSignal | undefined {
  const meta = node.metadata ?? {};
  return detectInterruption({ labels: stringMap(meta.labels), annotations: stringMap(meta.annotations), taints: nodeTaints(node), providerID: node.spec?.providerID });
}

function isReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function hasAcceleratorLabel(labels: Readonly<Record<string, string>>): boolean {
  if (ACCELERATOR_LABELS.some((l) => (labels[l] ?? '') !== '')) return true;
  if (PRESENT_LABELS.some((l) => labels[l] === 'true')) return true;
  const count = Number(labels['karpenter.k8s.aws/instance-gpu-count'] ?? '0');
  return count > 0;
}

/** Allocatable slots of `resource`; 0 while the device plugin has not registered it (or a malformed value). */
function allocatable(node: V1Node, resource: string): number {
  return quantity(node.status?.allocatable?.[resource]) ?? 0;
}

function nodeTaints(node: V1Node): Taint[] {
  return (node.spec?.taints ?? []).map((t) => {
    const taint: Taint = { key: t.key, effect: t.effect as Taint['effect'] };
    if (t.value !== undefined && t.value !== '') taint.value = t.value;
    return taint;
  });
}

/** `deadline: undefined` would survive structuredClone but not JSON: keep the shape stable. */
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
