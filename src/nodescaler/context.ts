import { poolFloor, slotsPerNode, type NodeScalerConfig, type PoolConfig, type Tier } from './config.js';
import { TAINT } from './names.js';
import { emptyPoolMemory } from './state.js';
import type {
  Millis,
  NodeAction,
  NodeInfo,
  NodeMemory,
  NodeVerdict,
  PdbInfo,
  PlanEvent,
  PodInfo,
  PodVerdict,
  PoolMemory,
  PrewarmTarget,
  ScalerState,
  Snapshot,
} from './types.js';

/** Free GPU slots on one node (existing, in flight, or planned this tick). */
export interface Bin {
  node?: string;
  free: number;
}

/** A pool during one tick: config, observation, and what this tick plans for it. */
export interface PoolCtx {
  idx: number;
  name: string;
  cfg: PoolConfig;
  tier: Tier;
  /** GPU slots per node. */
  slots: number;
  floor: number;
  /** Desired replicas observed. */
  current: number;
  registered: number;
  /** Latest explicit capacity failure the actuator reports. */
  capacityFailure?: { at: Millis; reason: string };
  /** Desired before this tick's new nodes and removals (after a backoff cancel). */
  base: number;
  newNodes: number;
  removals: number;
  /** Nodes of the pool with an interruption notice. */
  interrupted: number;
  /** Nodes of the pool being drained (started earlier or this tick). */
  draining: number;
  existingBins: Bin[];
  inflightBins: Bin[];
  openBins: Bin[];
  /** Every node opened this tick, newest last (open bins drop out when full). */
  newBins: Bin[];
  mem: PoolMemory;
  reasons: string[];
  /** New nodes of this tick by cause, for the plan's reasons. */
  causes: Map<string, number>;
}

export interface NodeCtx {
  info: NodeInfo;
  pool?: PoolCtx;
  pods: PodInfo[];
  mem: NodeMemory;
  /** Ready with an accelerator label but no GPUs yet: counts as upcoming, not free (§4.2). */
  gpuNotReady: boolean;
  interrupted: boolean;
  draining: boolean;
  /** removeNode already planned: ignored by every rule. */
  removing: boolean;
  /** Drain cancelled in this tick to serve demand: not a scale-down candidate now. */
  kept?: boolean;
  /** Accepts new pods: ready, schedulable, GPUs up, not interrupted or draining. */
  usable: boolean;
  /** Free slots of this node, shared with the pool's existingBins. */
  bin?: Bin;
}

export interface Ctx {
  now: Millis;
  cfg: NodeScalerConfig;
  pools: PoolCtx[];
  poolByName: Map<string, PoolCtx>;
  nodes: NodeCtx[];
  nodeByName: Map<string, NodeCtx>;
  /** Unbound pods in phase Pending, by uid. */
  pending: PodInfo[];
  pdbs: Map<string, PdbInfo>;
  state: ScalerState;
  actions: NodeAction[];
  podVerdicts: PodVerdict[];
  nodeVerdicts: Map<string, NodeVerdict>;
  events: PlanEvent[];
  /** Spot share cap after interruption-rate feedback. */
  spotMaxShare: number;
  /** Pre-warm targets in force this tick (predictive.enabled only). */
  prewarm: PrewarmTarget[];
  /** Pod verdicts placed on each node opened this tick. */
  binPods: Map<Bin, PodVerdict[]>;
  /** Demand key → pool it waits on after this tick (becomes state.claims). */
  claims: Map<string, string>;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Indexes the snapshot. Inputs are sorted so that decide() does not depend on their order. */
export function buildContext(snap: Snapshot): Ctx {
  const state = structuredClone(snap.state);
  const pools = buildPools(snap, state);
  const poolByName = new Map(pools.map((p) => [p.name, p]));
  const podsByNode = new Map<string, PodInfo[]>();
  const pending: PodInfo[] = [];
  for (const pod of snap.pods) {
    if (pod.phase === 'Succeeded' || pod.phase === 'Failed') continue;
    if (pod.nodeName === undefined) {
      if (pod.phase === 'Pending') pending.push(pod);
      continue;
    }
    const list = podsByNode.get(pod.nodeName);
    if (list) list.push(pod);
    else podsByNode.set(pod.nodeName, [pod]);
  }
  pending.sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  const nodes = [...snap.nodes].sort(byName).map((info) => buildNode(info, snap.now, poolByName, podsByNode, state));
  pruneNodeMemory(state, nodes);
  return {
    now: snap.now,
    cfg: snap.config,
    pools,
    poolByName,
    nodes,
    nodeByName: new Map(nodes.map((n) => [n.info.name, n])),
    pending,
    pdbs: new Map(snap.pdbs.map((p) => [`${p.namespace}/${p.name}`, p])),
    state,
    actions: [],
    podVerdicts: [],
    nodeVerdicts: new Map(),
    events: [],
    spotMaxShare: snap.config.spot.maxShare,
    prewarm: snap.config.predictive.enabled ? (snap.prewarm ?? []).filter((t) => snap.now < t.until) : [],
    binPods: new Map(),
    claims: new Map(),
  };
}

function buildPools(snap: Snapshot, state: ScalerState): PoolCtx[] {
  const obs = new Map(snap.pools.map((o) => [o.name, o]));
  return [...snap.config.pools].sort(byName).map((cfg, idx) => {
    const o = obs.get(cfg.name);
    const mem = state.pools[cfg.name] ?? emptyPoolMemory();
    state.pools[cfg.name] = mem;
    const current = o?.desired ?? 0;
    return {
      idx,
      name: cfg.name,
      cfg,
      tier: cfg.tier,
      slots: slotsPerNode(cfg),
      floor: poolFloor(cfg),
      current,
      registered: o?.registered ?? 0,
      capacityFailure: o?.capacityFailure,
      base: current,
      newNodes: 0,
      removals: 0,
      interrupted: 0,
      draining: 0,
      existingBins: [],
      inflightBins: [],
      openBins: [],
      newBins: [],
      mem,
      reasons: [],
      causes: new Map(),
    };
  });
}

function buildNode(info: NodeInfo, now: Millis, poolByName: Map<string, PoolCtx>, podsByNode: Map<string, PodInfo[]>, state: ScalerState): NodeCtx {
  const pool = info.pool === undefined ? undefined : poolByName.get(info.pool);
  const mem = state.nodes[info.name] ?? {};
  state.nodes[info.name] = mem;
  // A removal that has not happened within the provision timeout was lost (failed write, dry
  // run): forget it so the node is judged afresh.
  if (mem.removeRequestedAt !== undefined && pool && now - mem.removeRequestedAt > pool.cfg.provisionTimeoutSeconds * 1000) mem.removeRequestedAt = undefined;
  // A restarted controller has no memory: the draining taint carries the start time (unless
  // it is the taint of a drain cancelled since, not yet removed by the executor).
  if (mem.drainingSince === undefined) {
    const since = taintTime(info, TAINT.draining);
    if (since !== undefined && (mem.drainCancelledAt === undefined || since > mem.drainCancelledAt)) mem.drainingSince = since;
  }
  const removing = mem.removeRequestedAt !== undefined;
  const interrupted = !removing && info.interruption !== undefined && info.interruption.kind !== 'rebalance';
  const draining = !removing && !interrupted && mem.drainingSince !== undefined;
  const gpuNotReady = !removing && info.ready && info.gpuAllocatable === 0 && info.acceleratorLabel;
  const usable = info.ready && !info.unschedulable && info.gpuAllocatable > 0 && !interrupted && !draining && !removing;
  if (pool && interrupted) pool.interrupted++;
  if (pool && draining) pool.draining++;
  const node: NodeCtx = { info, pool, pods: podsByNode.get(info.name) ?? [], mem, gpuNotReady, interrupted, draining, removing, usable };
  if (pool && usable) {
    node.bin = { node: info.name, free: Math.max(0, info.gpuAllocatable - info.gpuAllocated) };
    // Full nodes can take nothing: leaving them out keeps placement scans short.
    if (node.bin.free > 0) pool.existingBins.push(node.bin);
  }
  return node;
}

/** Memory of nodes that no longer exist is dropped. */
function pruneNodeMemory(state: ScalerState, nodes: readonly NodeCtx[]): void {
  const live = new Set(nodes.map((n) => n.info.name));
  for (const name of Object.keys(state.nodes)) if (!live.has(name)) delete state.nodes[name];
}

/** Epoch ms from a node-scaler taint whose value is epoch seconds. */
export function taintTime(info: NodeInfo, key: string): Millis | undefined {
  // A value that is not ours (not epoch seconds) is ignored rather than guessed at.
  const t = info.taints.find((x) => x.key === key);
  if (!t || t.value === undefined || !/^\d+$/.test(t.value)) return undefined;
  return Number(t.value) * 1000;
}

export function hasTaint(info: NodeInfo, key: string): boolean {
  return info.taints.some((t) => t.key === key);
}

/** Desired replicas once this tick's plan is applied. */
export function plannedDesired(p: PoolCtx): number {
  return p.base + p.newNodes - p.removals;
}

export function setNodeVerdict(ctx: Ctx, node: NodeCtx, status: NodeVerdict['status'], reason: string): void {
  ctx.nodeVerdicts.set(node.info.name, { name: node.info.name, pool: node.pool?.name, status, reason });
}
