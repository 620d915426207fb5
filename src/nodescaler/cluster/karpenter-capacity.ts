import type { Millis } from '../types.js';
import type { ActuatorObservation } from './contracts.js';

/**
 * Where a Karpenter NodePool's capacity failures show (kubernetes-sigs/karpenter v1,
 * pkg/controllers/nodeclaim/lifecycle/launch.go and events.go):
 *
 * - an InsufficientCapacityError from the cloud provider makes Karpenter publish a Warning Event
 *   with reason `InsufficientCapacityError` on the NodeClaim and then delete the NodeClaim — the
 *   Event is the only trace left, so it is read here. NodeClaims are created with
 *   `generateName: <nodepool>-` (scheduling/nodeclaimtemplate.go), which ties the Event to the pool;
 * - other launch errors leave the NodeClaim with condition `Launched` not True and a reason
 *   (a provider's CreateError.ConditionReason, else `LaunchFailed`) while Karpenter retries; only
 *   reasons that name capacity count (InsufficientCapacity, CapacityNotAvailable, …), because a
 *   bad NodeClass or a quota typo is not something another pool fixes.
 */

export const KARPENTER_ICE_EVENT_REASON = 'InsufficientCapacityError';
export const LAUNCHED_CONDITION = 'Launched';

/** The fields read from a NodeClaim (karpenter.sh/v1). */
export interface NodeClaimLike {
  metadata: { name: string; labels?: Record<string, string> };
  status?: {
    nodeName?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string; lastTransitionTime?: string }>;
  };
}

/** The fields read from a core/v1 Event (client-node turns its timestamps into Dates). */
export interface EventLike {
  involvedObject?: { kind?: string; name?: string };
  reason?: string;
  message?: string;
  lastTimestamp?: Date | string;
  eventTime?: Date | string;
  firstTimestamp?: Date | string;
  metadata?: { creationTimestamp?: Date | string };
}

type Failure = NonNullable<ActuatorObservation['capacityFailure']>;

/** The newest failure of either kind; `at` is stable across ticks (decide() acts on each once). */
export function newestCapacityFailure(pool: string, claims: readonly NodeClaimLike[], events: readonly EventLike[]): Failure | undefined {
  let newest: Failure | undefined;
  for (const f of [...claims.map(claimFailure), ...events.map((e) => eventFailure(pool, e))]) {
    if (f && (!newest || f.at > newest.at)) newest = f;
  }
  return newest;
}

function claimFailure(claim: NodeClaimLike): Failure | undefined {
  const launched = claim.status?.conditions?.find((c) => c.type === LAUNCHED_CONDITION);
  if (!launched || launched.status === 'True' || !/capacity/i.test(launched.reason ?? '')) return undefined;
  const at = parseTime(launched.lastTransitionTime);
  if (at === undefined) return undefined;
  const detail = [launched.reason, launched.message].filter(Boolean).join(': ');
  return { at, reason: `NodeClaim ${claim.metadata.name} not launched: ${detail}` };
}

function eventFailure(pool: string, event: EventLike): Failure | undefined {
  if (event.reason !== KARPENTER_ICE_EVENT_REASON || event.involvedObject?.kind !== 'NodeClaim') return undefined;
  if (!isGeneratedFrom(pool, event.involvedObject.name ?? '')) return undefined;
  const at = parseTime(event.lastTimestamp) ?? parseTime(event.eventTime) ?? parseTime(event.firstTimestamp) ?? parseTime(event.metadata?.creationTimestamp);
  if (at === undefined) return undefined;
  return { at, reason: `${KARPENTER_ICE_EVENT_REASON}: ${event.message ?? `NodeClaim ${event.involvedObject.name}`}` };
}

/**
 * True when `name` came from `generateName: <pool>-`: the apiserver appends 5 characters and
 * trims the prefix to 58, so pool `gpu` never claims `gpu-spot-x7k2p` (the suffix would be 10 long).
 */
export function isGeneratedFrom(pool: string, name: string): boolean {
  const prefix = `${pool}-`.slice(0, 58);
  return name.length === prefix.length + 5 && name.startsWith(prefix) && /^[a-z0-9]{5}$/.test(name.slice(prefix.length));
}

function parseTime(value: Date | string | undefined): Millis | undefined {
  if (value === undefined) return undefined;
  const t = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
