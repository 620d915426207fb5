import { parseNodeScalerConfig } from '../src/nodescaler/config.js';
import { emptyState } from '../src/nodescaler/state.js';
import type { NodeInfo, PdbInfo, PodInfo, Snapshot } from '../src/nodescaler/types.js';
import { rng } from '../test/unit/nodescaler/sim/rng.js';

/**
 * Synthetic cluster for the decide() benchmark: 50 pools (5 GPU models × reserved, 5 spot
 * zones, 4 on-demand), 1 000 nodes × 8 GPUs, 30 000 pods of which 5 000 are pending GPU pods.
 * Deterministic (seeded) so runs compare.
 */

export interface BenchShape {
  nodes: number;
  pods: number;
  pendingGpuPods: number;
  pools: number;
  interruptedNodes: number;
  /** Every node has been unneeded (if it is) for this long: scale-down rules run in full. */
  unneededMinutes?: number;
}

export const DEFAULT_SHAPE: BenchShape = { nodes: 1000, pods: 30_000, pendingGpuPods: 5000, pools: 50, interruptedNodes: 0 };

const NOW = Date.parse('2026-03-04T15:00:00Z');
const MODELS = ['A100', 'H100', 'L40S', 'A10G', 'H200'];


function pools(n: number) {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) {
    const model = MODELS[i % MODELS.length]!;
    const slot = Math.floor(i / MODELS.length);
    const tier = slot === 0 ? 'reserved' : slot <= 5 ? 'spot' : 'onDemand';
    const od = 20 + 4 * (i % MODELS.length);
    out.push({
      name: `${model.toLowerCase()}-${tier.toLowerCase()}-${slot}`,
      tier,
      gpuModel: model,
      gpusPerNode: 8,
      pricePerHour: tier === 'spot' ? od * (0.3 + 0.02 * slot) : tier === 'reserved' ? od * 0.6 : od,
      onDemandReferencePrice: od,
      min: tier === 'reserved' ? 4 : 0,
      ...(tier === 'reserved' ? { commitment: 4 } : {}),
      max: 200,
      labels: { 'nvidia.com/gpu.product': model, 'node-scaler.io/tier': tier },
      actuator: { kind: 'clusterApi', namespace: 'capi', name: `md-${i}` },
    });
  }
  return out;
}

export function benchSnapshot(shape: BenchShape = DEFAULT_SHAPE, seed = 42): Snapshot {
  const rand = rng(seed);
  const config = parseNodeScalerConfig({ pools: pools(shape.pools) });
  const poolNames = config.pools.map((p) => p.name);
  const nodes: NodeInfo[] = [];
  const pods: PodInfo[] = [];
  const pdbs: PdbInfo[] = [];
  for (let i = 0; i < 500; i++) pdbs.push({ namespace: `ns-${i % 50}`, name: `pdb-${i}`, disruptionsAllowed: 2 + (i % 3) });
  let podSeq = 0;
  const boundPods = shape.pods - shape.pendingGpuPods;
  const perNode = Math.floor(boundPods / shape.nodes);
  for (let i = 0; i < shape.nodes; i++) {
    const pool = poolNames[i % poolNames.length]!;
    const name = `node-${String(i).padStart(4, '0')}`;
    // A spread of allocation: a tenth empty, a fifth half full, the rest full.
    const r = rand();
    const allocated = r < 0.1 ? 0 : r < 0.3 ? 4 : 8;
    nodes.push({
      name,
      pool,
      createdAt: NOW - (1 + Math.floor(rand() * 48)) * 3_600_000,
      ready: true,
      unschedulable: false,
      acceleratorLabel: true,
      gpuAllocatable: 8,
      gpuAllocated: allocated,
      dcgm: rand() < 0.05 ? undefined : { util: allocated === 0 ? 0 : rand(), ageSeconds: 5 },
      interruption: i < shape.interruptedNodes ? { kind: 'terminate', source: 'bench', provider: 'aws' } : undefined,
      taints: [],
      annotations: {},
    });
    let gpusLeft = allocated;
    for (let k = 0; k < perNode; k++) {
      const gpus = gpusLeft >= 2 && rand() < 0.5 ? 2 : gpusLeft >= 1 ? 1 : 0;
      gpusLeft -= gpus;
      const ns = `ns-${podSeq % 50}`;
      pods.push({
        uid: `pod-${podSeq}`,
        namespace: ns,
        name: `p-${podSeq}`,
        nodeName: name,
        phase: 'Running',
        priority: k === 0 ? 2000 : 0,
        requests: gpus > 0 ? { 'nvidia.com/gpu': gpus } : {},
        owner: k === perNode - 1 ? { kind: 'DaemonSet', name: 'dcgm-exporter', controller: true } : { kind: 'ReplicaSet', name: `rs-${podSeq % 400}`, controller: true },
        labels: {},
        annotations: {},
        pdbs: podSeq % 7 === 0 ? [`${ns}/pdb-${podSeq % 500}`] : [],
        nodeSelector: gpus > 0 ? { 'nvidia.com/gpu.product': nodes[i]!.pool!.split('-')[0]!.toUpperCase() } : undefined,
        startedAt: NOW - 3_600_000,
      });
      podSeq++;
    }
  }
  for (let i = 0; i < shape.pendingGpuPods; i++) {
    const model = MODELS[i % MODELS.length]!;
    const size = [1, 1, 2, 4, 8][Math.floor(rand() * 5)]!;
    pods.push({
      uid: `pending-${i}`,
      namespace: `ns-${i % 50}`,
      name: `job-${i}`,
      phase: 'Pending',
      priority: rand() < 0.2 ? 1000 : 0,
      requests: { 'nvidia.com/gpu': size },
      unschedulableSince: NOW - Math.floor(rand() * 600_000),
      owner: { kind: 'Job', name: `job-${i}`, controller: true },
      labels: {},
      annotations: i % 10 === 0 ? { 'node-scaler.io/tier': 'on-demand' } : {},
      nodeSelector: { 'nvidia.com/gpu.product': model },
    });
  }
  const observations = config.pools.map((p) => {
    const registered = nodes.filter((n) => n.pool === p.name).length;
    return { name: p.name, desired: registered, registered };
  });
  const state = emptyState();
  if (shape.unneededMinutes !== undefined) for (const n of nodes) state.nodes[n.name] = { unneededSince: NOW - shape.unneededMinutes * 60_000 };
  return { now: NOW, config, pools: observations, nodes, pods, pdbs, state };
}
