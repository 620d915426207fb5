import type { PoolConfig } from '../config.js';
import type { ActuatorObservation } from './contracts.js';

/** The part of a Node that membership reads (a V1Node fits). */
export interface NamedLabelled {
  metadata?: { name?: string; labels?: Readonly<Record<string, string>> };
}

/**
 * Which configured pool each node belongs to (node name → pool name; unmanaged nodes are left
 * out). The engine is the truth: a node the pool's actuator lists (Machine status.nodeRef) is
 * the pool's. A node no engine lists yet — it registers before the Machine records its nodeRef —
 * belongs to the first pool whose non-empty `labels` it carries. Ties go to the first pool in
 * config order, so the answer never depends on map or list order.
 */
export function poolMembership(
  nodes: readonly NamedLabelled[],
  pools: readonly PoolConfig[],
  observations: ReadonlyMap<string, ActuatorObservation>,
): Map<string, string> {
  const byEngine = engineMembership(pools, observations);
  const labelled = pools.filter((p) => Object.keys(p.labels).length > 0);
  const out = new Map<string, string>();
  for (const node of nodes) {
    const name = node.metadata?.name;
    if (!name) continue;
    const pool = byEngine.get(name) ?? labelled.find((p) => carriesAll(node.metadata?.labels ?? {}, p.labels))?.name;
    if (pool !== undefined) out.set(name, pool);
  }
  return out;
}

function engineMembership(pools: readonly PoolConfig[], observations: ReadonlyMap<string, ActuatorObservation>): Map<string, string> {
  const out = new Map<string, string>();
  for (const pool of pools) {
    for (const node of observations.get(pool.name)?.nodes ?? []) if (!out.has(node)) out.set(node, pool.name);
  }
  return out;
}

function carriesAll(labels: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>): boolean {
  for (const key in wanted) if (labels[key] !== wanted[key]) return false;
  return true;
}
