import type { Activity, AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { Millis } from '../types.js';
import type { ActuatorObservation } from './contracts.js';

/**
 * Pure helpers of the AWS Auto Scaling group actuator: which Nodes are a group's instances,
 * and which scaling activity is a capacity failure. Type-only imports: this file never loads
 * the SDK.
 */

/** The fields of a Node the actuator reads (a V1Node fits). */
export interface NodeLink {
  metadata?: { name?: string };
  spec?: { providerID?: string };
}

/**
 * The EC2 instance id in a Node's `spec.providerID`: `aws:///<az>/<instance-id>` (the AWS
 * cloud provider and CA's `buildInstanceRefFromAWS` use this form; `aws:///<id>` also occurs).
 */
export function instanceIdOf(providerID: string | undefined): string | undefined {
  if (!providerID?.startsWith('aws://')) return undefined;
  const last = providerID.slice('aws://'.length).split('/').filter(Boolean).pop();
  return last && /^i-[0-9a-f]+$/.test(last) ? last : undefined;
}

/** The node names of the group's instances, sorted; instances without a Node yet are left out. */
export function nodeNamesOf(group: AutoScalingGroup, nodes: Iterable<NodeLink>): string[] {
  const ids = new Set((group.Instances ?? []).map((i) => i.InstanceId).filter((id): id is string => Boolean(id)));
  const names: string[] = [];
  for (const n of nodes) {
    const id = instanceIdOf(n.spec?.providerID);
    if (id && ids.has(id) && n.metadata?.name) names.push(n.metadata.name);
  }
  return names.sort();
}

/** The EC2 instance behind the Node named `node` (found: false when no such Node is known). */
export function instanceOfNode(node: string, nodes: Iterable<NodeLink>): { found: boolean; instanceId?: string; providerID?: string } {
  for (const n of nodes) {
    if (n.metadata?.name !== node) continue;
    const instanceId = instanceIdOf(n.spec?.providerID);
    return { found: true, ...(instanceId ? { instanceId } : {}), ...(n.spec?.providerID ? { providerID: n.spec.providerID } : {}) };
  }
  return { found: false };
}

/**
 * `Terminating`, `Terminating:Wait`, `Terminating:Proceed`, `Terminated`: the instance is already
 * on its way out and already subtracted from DesiredCapacity (by whoever started it).
 */
export function isLeaving(lifecycleState: string | undefined): boolean {
  return Boolean(lifecycleState?.startsWith('Terminat'));
}

/**
 * The capacity failure to report: SetDesiredCapacity succeeds even when EC2 has no capacity,
 * and the only trace is a scaling activity with StatusCode `Failed` (StatusMessage e.g.
 * "Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity
 * available…"); CA reads the same (kubernetes/autoscaler PR #4489). Activities are walked newest
 * first; in-progress and Cancelled ones are skipped (Cancelled follows a lowered desired count,
 * not a lack of capacity); the first finished one decides: `Failed` is the failure, `Successful`
 * means capacity came after any older failure, so there is none to report. `at` is the
 * activity's end (else start) time, stable across ticks, because decide() acts on each `at` once.
 */
export function newestCapacityFailure(activities: readonly Activity[]): ActuatorObservation['capacityFailure'] {
  const newestFirst = [...activities].sort((a, b) => time(b.StartTime) - time(a.StartTime));
  for (const a of newestFirst) {
    if (a.StatusCode === 'Successful') return undefined;
    if (a.StatusCode !== 'Failed') continue;
    const at: Millis = time(a.EndTime) || time(a.StartTime);
    if (!at) continue;
    return { at, reason: a.StatusMessage || a.Description || `scaling activity ${a.ActivityId ?? ''} failed` };
  }
  return undefined;
}

function time(d: Date | undefined): number {
  return d ? d.getTime() : 0;
}
