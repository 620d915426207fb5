import type { V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { NodeScalerConfig, PoolConfig } from '../config.js';
import type { NodeInfo, PdbInfo, PodInfo, PoolObservation, PrewarmTarget, ScalerState, Snapshot } from '../types.js';
import type { ActuatorObservation } from './contracts.js';
import { toNodeInfo } from './convert-node.js';
import { PodInfoCache } from './pod-info-cache.js';
import { poolMembership } from './pool-membership.js';

const DEFAULT_GPU_RESOURCE = 'nvidia.com/gpu';

export interface ClusterObjects {
  pods: readonly V1Pod[];
  nodes: readonly V1Node[];
  pdbs: readonly V1PodDisruptionBudget[];
}

/** Windowed GPU busy fraction of a node; undefined = unknown (dcgm-window.ts). */
export type DcgmReader = (node: string, now: number) => { util: number; ageSeconds: number } | undefined;

export interface SnapshotInput {
  now: number;
  config: NodeScalerConfig;
  state: ScalerState;
  objects: ClusterObjects;
  /** Per configured pool, what its actuator reported this tick; a pool missing here could not be observed. */
  observations: ReadonlyMap<string, ActuatorObservation>;
  dcgm: DcgmReader;
  prewarm?: PrewarmTarget[];
  /** Conversions kept from the previous tick (the controller holds one); without it every pod is converted. */
  podCache?: PodInfoCache;
}

/**
 * The live cluster as one immutable Snapshot for decide(). Pure and linear: pods are converted
 * and indexed by node once, PDBs are grouped by namespace so each pod is matched only against
 * its own namespace's (1 000 nodes and 30 000 pods build in a few tens of ms).
 *
 * A pool whose actuator could not be observed is left out of `pools`: its desired count is not
 * known, and writing a guess would be fabricating it. The controller must not act on such a pool.
 */
export function buildSnapshot(input: SnapshotInput): Snapshot {
  const { now, config, objects } = input;
  const pods = (input.podCache ?? new PodInfoCache()).convert(objects.pods, objects.pdbs);
  const membership = poolMembership(objects.nodes, config.pools, input.observations);
  const poolsByName = new Map(config.pools.map((p) => [p.name, p]));
  const byNode = podsByNode(pods);
  const nodes = objects.nodes.filter((n) => n.metadata?.name).map((n) => nodeInfo(n, membership, poolsByName, byNode, input.dcgm, now));
  const snapshot: Snapshot = {
    now,
    config,
    pools: poolObservations(config.pools, input.observations, nodes),
    nodes,
    pods,
    pdbs: objects.pdbs.map(pdbInfo).filter((p): p is PdbInfo => p !== undefined),
    state: input.state,
  };
  if (input.prewarm !== undefined) snapshot.prewarm = input.prewarm;
  return snapshot;
}

function podsByNode(pods: readonly PodInfo[]): Map<string, PodInfo[]> {
  const out = new Map<string, PodInfo[]>();
  for (const pod of pods) if (pod.nodeName !== undefined) push(out, pod.nodeName, pod);
  return out;
}

function nodeInfo(
  node: V1Node,
  membership: ReadonlyMap<string, string>,
  pools: ReadonlyMap<string, PoolConfig>,
  byNode: ReadonlyMap<string, PodInfo[]>,
  dcgm: DcgmReader,
  now: number,
): NodeInfo {
  const name = node.metadata?.name ?? '';
  const pool = membership.get(name);
  const gpuResource = (pool !== undefined ? pools.get(pool)?.gpuResource : undefined) ?? DEFAULT_GPU_RESOURCE;
  const gpuAllocated = (byNode.get(name) ?? []).reduce((sum, p) => sum + (p.requests[gpuResource] ?? 0), 0);
  const util = dcgm(name, now);
  return toNodeInfo(node, { pool, gpuResource, gpuAllocated, ...(util !== undefined ? { dcgm: util } : {}) });
}

/** `registered` counts Node objects (ready or not), as the engine's desired count is compared with it. */
function poolObservations(pools: readonly PoolConfig[], observations: ReadonlyMap<string, ActuatorObservation>, nodes: readonly NodeInfo[]): PoolObservation[] {
  const registered = new Map<string, number>();
  for (const n of nodes) if (n.pool !== undefined) registered.set(n.pool, (registered.get(n.pool) ?? 0) + 1);
  const out: PoolObservation[] = [];
  for (const pool of pools) {
    const o = observations.get(pool.name);
    if (!o) continue;
    const obs: PoolObservation = { name: pool.name, desired: o.desired, registered: registered.get(pool.name) ?? 0 };
    if (o.capacityFailure) obs.capacityFailure = { ...o.capacityFailure };
    out.push(obs);
  }
  return out;
}

/**
 * disruptionsAllowed as the Eviction API will judge it: a PDB without status, or whose status
 * predates its spec (observedGeneration < generation), allows nothing — the API answers 429 then.
 */
export function pdbInfo(pdb: V1PodDisruptionBudget): PdbInfo | undefined {
  const { name, namespace, generation } = pdb.metadata ?? {};
  if (!name) return undefined;
  const status = pdb.status;
  const stale = status !== undefined && generation !== undefined && (status.observedGeneration ?? 0) < generation;
  const allowed = status === undefined || stale ? 0 : Math.max(0, status.disruptionsAllowed ?? 0);
  return { namespace: namespace ?? '', name, disruptionsAllowed: allowed };
}

function push<K, V>(m: Map<K, V[]>, key: K, v: V): void {
  const list = m.get(key);
  if (list) list.push(v);
  else m.set(key, [v]);
}
