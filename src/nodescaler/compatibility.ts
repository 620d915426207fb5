import type { PoolConfig, Tier } from './config.js';
import { ANNOTATION } from './names.js';
import type { NodeSelectorRequirement, PodInfo, Taint, Toleration } from './types.js';

/**
 * Which pools a pod could run on, judged from the pool's declared node template (labels and
 * taints) — the same facts the scheduler would see on a node of that pool. The snapshot builder
 * may precompute `pod.compatiblePools` instead (e.g. with full scheduler predicates).
 */

export function matchesTemplate(pod: PodInfo, pool: PoolConfig): boolean {
  return selectorMatches(pod.nodeSelector, pool.labels) && affinityMatches(pod.requiredNodeAffinity, pool.labels) && toleratesAll(pod.tolerations ?? [], pool.taints);
}

function selectorMatches(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

/** nodeSelectorTerms are ORed; the expressions of one term are ANDed. No terms = no constraint. */
function affinityMatches(terms: NodeSelectorRequirement[][] | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!terms || terms.length === 0) return true;
  return terms.some((term) => term.every((req) => requirementMatches(req, labels)));
}

function requirementMatches(req: NodeSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const value = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt':
      return numericCompare(req.operator, value, values[0]);
  }
}

function numericCompare(op: 'Gt' | 'Lt', value: string | undefined, bound: string | undefined): boolean {
  if (value === undefined || bound === undefined) return false;
  if (!/^-?\d+$/.test(value) || !/^-?\d+$/.test(bound)) return false;
  const v = Number(value);
  const b = Number(bound);
  return op === 'Gt' ? v > b : v < b;
}

/** Only taints that keep a pod off a node matter; PreferNoSchedule does not. */
function toleratesAll(tolerations: readonly Toleration[], taints: readonly Taint[]): boolean {
  return taints.every((t) => t.effect === 'PreferNoSchedule' || tolerations.some((tol) => tolerates(tol, t)));
}

function tolerates(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.operator === 'Exists') return tol.key === undefined || tol.key === '' || tol.key === taint.key;
  return tol.key === taint.key && (tol.value ?? '') === (taint.value ?? '');
}

// Shared constants: callers cache by array identity.
const ALL_TIERS: readonly Tier[] = ['reserved', 'spot', 'onDemand'];
const NOT_SPOT: readonly Tier[] = ['reserved', 'onDemand'];
const SPOT_ONLY: readonly Tier[] = ['spot'];
const RESERVED_ONLY: readonly Tier[] = ['reserved'];

/**
 * Tiers a pod accepts, from `node-scaler.io/tier`: `on-demand` keeps it off spot (reserved
 * capacity is just as safe), `spot` or `reserved` pin it to that tier. Absent = any tier.
 */
export function allowedTiers(pod: PodInfo): readonly Tier[] {
  const value = pod.annotations[ANNOTATION.tier];
  switch (value) {
    case 'on-demand':
    case 'onDemand':
      return NOT_SPOT;
    case 'spot':
      return SPOT_ONLY;
    case 'reserved':
      return RESERVED_ONLY;
    default:
      return ALL_TIERS;
  }
}

/** The same tiers without spot, as a shared constant. */
export function withoutSpot(tiers: readonly Tier[]): readonly Tier[] {
  if (!tiers.includes('spot')) return tiers;
  return tiers.includes('reserved') ? NOT_SPOT : tiers.includes('onDemand') ? ONDEMAND_ONLY : NONE;
}
const ONDEMAND_ONLY: readonly Tier[] = ['onDemand'];
const NONE: readonly Tier[] = [];

export { ALL_TIERS };
