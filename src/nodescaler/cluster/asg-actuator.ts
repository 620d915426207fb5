import type * as AutoScalingSdk from '@aws-sdk/client-auto-scaling';
import type { AutoScalingClient, AutoScalingClientConfig, AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { ActuatorRef } from '../config.js';
import { AwsAsgError } from './asg-errors.js';
import type { ActuatorObservation, PoolActuator } from './contracts.js';
import { instanceOfNode, isLeaving, newestCapacityFailure, nodeNamesOf, type NodeLink } from './asg-observation.js';

/**
 * A pool backed by an EC2 Auto Scaling group (research/node-scaler.md §3.4), through the
 * official `@aws-sdk/client-auto-scaling` client (SigV4 signing, retries with backoff, the
 * default credential chain: IRSA / EKS Pod Identity in a cluster). The SDK is imported on the
 * first call, so `serve` and Cluster-API-only node-scalers never load it.
 *
 * - observe(): DescribeAutoScalingGroups gives DesiredCapacity and the instance ids; the
 *   pool's nodes are the Nodes whose `spec.providerID` (`aws:///<az>/<instance-id>`) names one
 *   of them. The Nodes come from the controller's own Node informer (`nodes` option): it is
 *   already synced before the first tick, so this costs no extra API call per tick. The capacity
 *   failure comes from DescribeScalingActivities (see newestCapacityFailure).
 * - markForRemoval(node): an ASG has no "delete this one next" mark; the targeted removal is
 *   TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity, which also lowers
 *   the count. So marking only checks the node's instance is an in-service member of this group
 *   and remembers it; setDesired() spends the marks: while the group is above the target, a
 *   marked instance is terminated with decrement (one per step), and only the rest of the gap,
 *   if any, goes through SetDesiredCapacity. This keeps the executor's contract (a mark never
 *   changes the count) and gives, for `mark k nodes; setDesired(D - k)`, exactly k targeted
 *   terminations and no SetDesiredCapacity: no double decrement. Terminating in
 *   markForRemoval instead would be wrong when a plan replaces a node (one removal plus one new
 *   node: desired unchanged, so the executor never calls setDesired and the replacement would
 *   be lost). A mark not spent (no decrease yet) waits for the next decrease, like Cluster
 *   API's delete-machine annotation, but lives in memory only.
 * - An instance already `Terminating*`/`Terminated` (by us or by the group itself) is never
 *   terminated again: its decrement has happened once already.
 * - Errors name the group, the region and the AWS error code; throttling
 *   (`Throttling`, `ScalingActivityInProgress`, `ResourceContention`) is left to the SDK's
 *   retries, then surfaces as an error the next tick retries (every write here is absolute).
 */

export type AwsAsgRef = Extract<ActuatorRef, { kind: 'awsAsg' }>;

export interface AwsAsgActuatorOptions {
  /** The cluster's Nodes now (the controller's informer cache; read, never modified). */
  nodes: () => Iterable<NodeLink>;
  /** Endpoint override (`--aws-endpoint`): a VPC interface endpoint, or a test server. */
  endpoint?: string;
  /** Static credentials for tests; production uses the SDK's default provider chain. */
  credentials?: AutoScalingClientConfig['credentials'];
  /** SDK attempts per call (SDK default 3). */
  maxAttempts?: number;
}

/** Type-only: the module itself is imported in connect(). */
type Sdk = typeof AutoScalingSdk;
interface Session {
  sdk: Sdk;
  client: AutoScalingClient;
}

/** Newest activities read per tick: enough to reach the newest finished one. */
const ACTIVITIES_PER_TICK = 20;

export class AwsAsgActuator implements PoolActuator {
  /** `Auto Scaling group gpu-spot (us-east-1)`, for error messages. */
  readonly description: string;
  /** Instance ids marked for removal and not yet terminated, in marking order. */
  private readonly marked = new Set<string>();
  private session: Promise<Session> | undefined;

  constructor(
    readonly ref: AwsAsgRef,
    private readonly options: AwsAsgActuatorOptions,
  ) {
    this.description = `Auto Scaling group ${ref.name} (${ref.region})`;
  }

  async observe(): Promise<ActuatorObservation> {
    const [group, activities] = await Promise.all([this.describeGroup(), this.describeActivities()]);
    this.forgetGone(group);
    const observation: ActuatorObservation = { desired: desiredOf(group, this.description), nodes: nodeNamesOf(group, this.options.nodes()) };
    const failure = newestCapacityFailure(activities);
    if (failure) observation.capacityFailure = failure;
    return observation;
  }

  async setDesired(replicas: number): Promise<void> {
    if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`${this.description}: refusing to set the desired capacity to ${replicas}`);
    const group = await this.describeGroup();
    let current = desiredOf(group, this.description);
    for (const instanceId of [...this.marked]) {
      if (current <= replicas) break;
      if (inService(group, instanceId)) {
        await this.terminate(instanceId);
        current--;
      }
      // Spent only once terminated: a failed call keeps the mark for the next decrease.
      this.marked.delete(instanceId);
    }
    if (current !== replicas) await this.setDesiredCapacity(replicas);
  }

  async markForRemoval(node: string): Promise<void> {
    const link = instanceOfNode(node, this.options.nodes());
    if (!link.instanceId) {
      throw new Error(`${this.description}: node ${node} ${link.found ? `has no EC2 instance in spec.providerID (${link.providerID ?? 'empty'})` : 'is not known'}`);
    }
    const group = await this.describeGroup();
    const instance = group.Instances?.find((i) => i.InstanceId === link.instanceId);
    // Only this group's instances: TerminateInstanceInAutoScalingGroup would shrink whichever group holds it.
    if (!instance) throw new Error(`${this.description}: instance ${link.instanceId} (node ${node}) is not in the group`);
    if (isLeaving(instance.LifecycleState)) return;
    this.marked.add(link.instanceId);
  }

  /** Releases the SDK client's sockets (the controller never needs it; tests do). */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session) (await session).client.destroy();
  }

  // ── calls ─────────────────────────────────────────────────────────────────────────────────

  private connect(): Promise<Session> {
    this.session ??= import('@aws-sdk/client-auto-scaling').then((sdk) => ({ sdk, client: new sdk.AutoScalingClient(this.clientConfig()) }));
    return this.session;
  }

  private clientConfig(): AutoScalingClientConfig {
    const { endpoint, credentials, maxAttempts } = this.options;
    return { region: this.ref.region, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}), ...(maxAttempts ? { maxAttempts } : {}) };
  }

  private async call<T>(what: string, run: (s: Session) => Promise<T>): Promise<T> {
    const session = await this.connect();
    try {
      return await run(session);
    } catch (err) {
      throw new AwsAsgError(err, this.description, what);
    }
  }

  private async describeGroup(): Promise<AutoScalingGroup> {
    const out = await this.call('DescribeAutoScalingGroups', ({ sdk, client }) =>
      client.send(new sdk.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.ref.name] })));
    const group = out.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === this.ref.name);
    if (!group) throw new Error(`${this.description} does not exist (DescribeAutoScalingGroups returned no such group)`);
    return group;
  }

  private async describeActivities() {
    const out = await this.call('DescribeScalingActivities', ({ sdk, client }) =>
      client.send(new sdk.DescribeScalingActivitiesCommand({ AutoScalingGroupName: this.ref.name, MaxRecords: ACTIVITIES_PER_TICK })));
    return out.Activities ?? [];
  }

  private async setDesiredCapacity(replicas: number): Promise<void> {
    // HonorCooldown false: the node-scaler paces itself; a cooldown would silently drop the write.
    await this.call(`SetDesiredCapacity to ${replicas}`, ({ sdk, client }) =>
      client.send(new sdk.SetDesiredCapacityCommand({ AutoScalingGroupName: this.ref.name, DesiredCapacity: replicas, HonorCooldown: false })));
  }

  private async terminate(instanceId: string): Promise<void> {
    await this.call(`TerminateInstanceInAutoScalingGroup ${instanceId} with decrement`, ({ sdk, client }) =>
      client.send(new sdk.TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: true })));
  }

  /** Marks of instances that left the group or are leaving it are spent already. */
  private forgetGone(group: AutoScalingGroup): void {
    for (const id of this.marked) if (!inService(group, id)) this.marked.delete(id);
  }
}

function inService(group: AutoScalingGroup, instanceId: string): boolean {
  const instance = group.Instances?.find((i) => i.InstanceId === instanceId);
  return instance !== undefined && !isLeaving(instance.LifecycleState);
}

function desiredOf(group: AutoScalingGroup, what: string): number {
  const desired = group.DesiredCapacity;
  if (desired === undefined || !Number.isInteger(desired) || desired < 0) throw new Error(`${what}: DescribeAutoScalingGroups reports DesiredCapacity ${String(desired)}`);
  return desired;
}
