import { parseNodeScalerConfig, type NodeScalerConfig } from '../../../src/nodescaler/config.js';
import { decide } from '../../../src/nodescaler/decide.js';
import { emptyState } from '../../../src/nodescaler/state.js';
import type { NodeInfo, PdbInfo, Plan, PodInfo, PoolObservation, ScalerState, Snapshot } from '../../../src/nodescaler/types.js';

/** Monday 2026-03-02 12:00 UTC. */
export const T0 = Date.parse('2026-03-02T12:00:00Z');
export const S = 1000;
export const MIN = 60 * S;
export const HOUR = 60 * MIN;

type RawPool = Record<string, unknown> & { name: string; tier: string };

export function rawPool(name: string, tier: 'reserved' | 'spot' | 'onDemand', over: Record<string, unknown> = {}): RawPool {
  const od = 32;
  const price = tier === 'spot' ? 12 : tier === 'reserved' ? 20 : od;
  return {
    name,
    tier,
    gpuModel: 'A100',
    gpusPerNode: 8,
    pricePerHour: price,
    onDemandReferencePrice: od,
    max: 20,
    actuator: { kind: 'clusterApi', namespace: 'capi', name },
    ...over,
  };
}

/** reserved `res` (commitment 1), spot `spot-a` (12/h) and `spot-b` (14/h), on-demand `od` (32/h). */
export function standardPools(): RawPool[] {
  return [
    rawPool('res', 'reserved', { min: 1, commitment: 1, max: 3 }),
    rawPool('spot-a', 'spot'),
    rawPool('spot-b', 'spot', { pricePerHour: 14 }),
    rawPool('od', 'onDemand'),
  ];
}

export function config(over: Record<string, unknown> = {}, pools: RawPool[] = standardPools()): NodeScalerConfig {
  return parseNodeScalerConfig({ pools, ...over });
}

export function node(name: string, pool: string | undefined, over: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    pool,
    createdAt: T0 - 2 * HOUR,
    ready: true,
    unschedulable: false,
    acceleratorLabel: true,
    gpuAllocatable: 8,
    gpuAllocated: 8,
    dcgm: { util: 0.9, ageSeconds: 5 },
    taints: [],
    annotations: {},
    ...over,
  };
}

export function pendingPod(name: string, over: Partial<PodInfo> = {}): PodInfo {
  return {
    uid: `uid-${name}`,
    namespace: 'ml',
    name,
    phase: 'Pending',
    priority: 0,
    requests: { 'nvidia.com/gpu': 1 },
    unschedulableSince: T0 - MIN,
    owner: { kind: 'ReplicaSet', name: 'rs', controller: true },
    labels: {},
    annotations: {},
    ...over,
  };
}

export function runningPod(name: string, nodeName: string, gpus: number, over: Partial<PodInfo> = {}): PodInfo {
  return pendingPod(name, { nodeName, phase: 'Running', requests: gpus > 0 ? { 'nvidia.com/gpu': gpus } : {}, unschedulableSince: undefined, ...over });
}

export interface SnapInput {
  config?: NodeScalerConfig;
  now?: number;
  nodes?: NodeInfo[];
  pods?: PodInfo[];
  pdbs?: PdbInfo[];
  state?: ScalerState;
  /** Overrides of the observation derived from the nodes (desired = registered = node count). */
  pools?: Record<string, Partial<PoolObservation>>;
}

export function snapshot(input: SnapInput = {}): Snapshot {
  const cfg = input.config ?? config();
  const nodes = input.nodes ?? [];
  const pools = cfg.pools.map((p) => {
    const registered = nodes.filter((n) => n.pool === p.name).length;
    return { name: p.name, desired: registered, registered, ...(input.pools?.[p.name] ?? {}) };
  });
  return { now: input.now ?? T0, config: cfg, pools, nodes, pods: input.pods ?? [], pdbs: input.pdbs ?? [], state: input.state ?? emptyState() };
}

export function run(input: SnapInput = {}): Plan {
  return decide(snapshot(input));
}

export function poolPlan(plan: Plan, name: string) {
  const p = plan.pools.find((x) => x.name === name);
  if (!p) throw new Error(`no pool ${name} in plan`);
  return p;
}

export function verdictOf(plan: Plan, podName: string) {
  const v = plan.pods.find((x) => x.name === podName);
  if (!v) throw new Error(`no verdict for ${podName}`);
  return v;
}

export function nodeVerdict(plan: Plan, nodeName: string) {
  const v = plan.nodes.find((x) => x.name === nodeName);
  if (!v) throw new Error(`no verdict for node ${nodeName}`);
  return v;
}

export function actionsFor(plan: Plan, nodeName: string) {
  return plan.nodeActions.filter((a) => ('node' in a ? a.node === nodeName : false));
}

/** A full reserved node plus a full on-demand node: the usual background of the tests. */
export function baseNodes(): NodeInfo[] {
  return [node('res-1', 'res'), node('od-1', 'od')];
}
