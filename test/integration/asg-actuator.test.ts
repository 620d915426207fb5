import { expect } from 'chai';
import { AwsAsgActuator, type AwsAsgRef } from '../../src/nodescaler/cluster/asg-actuator.js';
import type { NodeLink } from '../../src/nodescaler/cluster/asg-observation.js';
import { AwsAsgError } from '../../src/nodescaler/cluster/asg-errors.js';
import type { EventSink, Evictor, NodePatcher } from '../../src/nodescaler/cluster/contracts.js';
import { executePlan } from '../../src/nodescaler/cluster/executor.js';
import { emptyState } from '../../src/nodescaler/state.js';
import type { NodeAction, Plan, PoolPlan } from '../../src/nodescaler/types.js';
import { silentLogger } from '../../src/util/log.js';
import { FakeAutoScaling } from '../helpers/fake-autoscaling.js';

/**
 * The AWS Auto Scaling group actuator with the real @aws-sdk/client-auto-scaling client (SigV4,
 * Query serializer, XML deserializer, retries) against test/helpers/fake-autoscaling.ts, the
 * only fake: the AWS API cannot run here.
 */
describe('AwsAsgActuator (real SDK client, fake Auto Scaling Query API)', function () {
  const GROUP = 'gpu-spot-a100';
  const REGION = 'eu-west-1';
  let fake: FakeAutoScaling;
  let endpoint: string;
  let nodes: NodeLink[];
  const actuators: AwsAsgActuator[] = [];

  const ref: AwsAsgRef = { kind: 'awsAsg', name: GROUP, region: REGION };
  const node = (name: string, providerID?: string): NodeLink => ({ metadata: { name }, spec: providerID ? { providerID } : {} });
  const newActuator = (r: AwsAsgRef = ref): AwsAsgActuator => {
    const a = new AwsAsgActuator(r, {
      nodes: () => nodes, endpoint, maxAttempts: 2,
      credentials: { accessKeyId: 'AKIDTESTFAKE', secretAccessKey: 'test-secret' },
    });
    actuators.push(a);
    return a;
  };

  beforeEach(async function () {
    fake = new FakeAutoScaling();
    endpoint = await fake.start();
    fake.addGroup(GROUP, {
      min: 0, max: 8, desired: 3,
      instances: [{ id: 'i-0aaa', az: 'eu-west-1a' }, { id: 'i-0bbb', az: 'eu-west-1b' }, { id: 'i-0ccc', az: 'eu-west-1a' }],
    });
    fake.addGroup('other-group', { desired: 1, instances: [{ id: 'i-0999', az: 'eu-west-1a' }] });
    nodes = [
      node('gpu-a', 'aws:///eu-west-1a/i-0aaa'),
      node('gpu-b', 'aws:///eu-west-1b/i-0bbb'),
      node('gpu-c', 'aws:///eu-west-1a/i-0ccc'),
      node('other', 'aws:///eu-west-1a/i-0999'),
      node('kind-node', 'kind://docker/kind/kind-control-plane'),
    ];
  });

  afterEach(async function () {
    await Promise.all(actuators.splice(0).map((a) => a.close()));
    await fake.stop();
  });

  describe('observe', function () {
    it('reads DesiredCapacity and maps the instances to Nodes through spec.providerID', async function () {
      const o = await newActuator().observe();
      expect(o).to.deep.equal({ desired: 3, nodes: ['gpu-a', 'gpu-b', 'gpu-c'] });
      expect(fake.callsOf('DescribeAutoScalingGroups')[0]?.params).to.include({ 'AutoScalingGroupNames.member.1': GROUP });
      expect(fake.calls.every((c) => c.region === REGION), 'every call is signed for the pool region').to.equal(true);
    });

    it('reports the newest failed scaling activity as the capacity failure', async function () {
      const message = 'Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available that matches your request. Launching EC2 instance failed.';
      fake.addActivity(GROUP, { statusCode: 'Failed', statusMessage: 'older failure', minutesAgo: 9 });
      const failed = fake.addActivity(GROUP, { statusCode: 'Failed', statusMessage: message, minutesAgo: 2 });
      fake.addActivity(GROUP, { statusCode: 'InProgress', minutesAgo: 0 });

      const o = await newActuator().observe();
      expect(o.capacityFailure).to.deep.equal({ at: failed.endTime?.getTime(), reason: message });
      expect(fake.callsOf('DescribeScalingActivities')[0]?.params).to.include({ AutoScalingGroupName: GROUP });
    });

    it('reports no failure once a later activity succeeded', async function () {
      fake.addActivity(GROUP, { statusCode: 'Failed', statusMessage: 'InsufficientInstanceCapacity', minutesAgo: 9 });
      fake.addActivity(GROUP, { statusCode: 'Successful', description: 'Launching a new EC2 instance: i-0ccc', minutesAgo: 3 });
      expect((await newActuator().observe()).capacityFailure).to.equal(undefined);
    });

    it('rejects for a group that does not exist, naming it', async function () {
      const err = await newActuator({ ...ref, name: 'missing-group' }).observe().then(() => undefined, (e: unknown) => e);
      expect(String(err)).to.match(/Auto Scaling group missing-group \(eu-west-1\) does not exist/);
    });
  });

  describe('setDesired', function () {
    it('is a no-op when the group already has that desired capacity', async function () {
      await newActuator().setDesired(3);
      expect(fake.callsOf('SetDesiredCapacity')).to.have.length(0);
    });

    it('writes SetDesiredCapacity with HonorCooldown=false when different', async function () {
      await newActuator().setDesired(5);
      expect(fake.callsOf('SetDesiredCapacity').map((c) => c.params)).to.deep.equal([
        { Action: 'SetDesiredCapacity', Version: '2011-01-01', AutoScalingGroupName: GROUP, DesiredCapacity: '5', HonorCooldown: 'false' },
      ]);
      expect(fake.groups.get(GROUP)?.desired).to.equal(5);
    });

    it('surfaces a ValidationError (above MaxSize) with the group and the code, not as transient', async function () {
      const err = await newActuator().setDesired(9).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(AwsAsgError);
      expect((err as AwsAsgError).code).to.equal('ValidationError');
      expect((err as AwsAsgError).transient).to.equal(false);
      expect((err as Error).message).to.match(/^Auto Scaling group gpu-spot-a100 \(eu-west-1\): SetDesiredCapacity to 9 failed: ValidationError: /);
    });
  });

  describe('markForRemoval then setDesired (the executor sequence)', function () {
    it('terminates exactly the marked instances with decrement and writes no SetDesiredCapacity', async function () {
      const a = newActuator();
      await a.markForRemoval('gpu-b');
      expect(fake.callsOf('TerminateInstanceInAutoScalingGroup'), 'a mark alone changes nothing').to.have.length(0);
      await a.setDesired(2);

      expect(fake.callsOf('TerminateInstanceInAutoScalingGroup').map((c) => c.params)).to.deep.equal([
        { Action: 'TerminateInstanceInAutoScalingGroup', Version: '2011-01-01', InstanceId: 'i-0bbb', ShouldDecrementDesiredCapacity: 'true' },
      ]);
      expect(fake.callsOf('SetDesiredCapacity')).to.have.length(0);
      expect(fake.groups.get(GROUP)?.desired).to.equal(2);

      // The next tick: the instance is Terminating, the count stays right, a repeated plan is harmless.
      expect(await a.observe()).to.include({ desired: 2 });
      await a.markForRemoval('gpu-b');
      await a.setDesired(2);
      expect(fake.callsOf('TerminateInstanceInAutoScalingGroup')).to.have.length(1);
      expect(fake.groups.get(GROUP)?.desired, 'no double decrement').to.equal(2);
    });

    it('runs through executePlan: two removals lower the group by exactly two', async function () {
      const a = newActuator();
      const observed = await a.observe();
      const actions: NodeAction[] = [
        { kind: 'removeNode', pool: 'spot', node: 'gpu-a', reason: 'unneeded' },
        { kind: 'removeNode', pool: 'spot', node: 'gpu-c', reason: 'unneeded' },
      ];
      const report = await executePlan(planOf([poolPlan(3, 1, 2)], actions), deps(a, observed));

      expect(report.errors).to.deep.equal([]);
      expect(fake.callsOf('TerminateInstanceInAutoScalingGroup').map((c) => c.params.InstanceId)).to.deep.equal(['i-0aaa', 'i-0ccc']);
      expect(fake.callsOf('SetDesiredCapacity')).to.have.length(0);
      expect(fake.groups.get(GROUP)?.desired).to.equal(1);
      expect(fake.groups.get(GROUP)?.instances.find((i) => i.id === 'i-0bbb')?.lifecycleState).to.equal('InService');
    });

    it('a replacement (one removal, one new node) keeps the count: the mark waits for the next decrease', async function () {
      const a = newActuator();
      const observed = await a.observe();
      const plan = planOf([poolPlan(3, 3, 1, 1)], [{ kind: 'removeNode', pool: 'spot', node: 'gpu-a', reason: 'interrupted' }]);
      await executePlan(plan, deps(a, observed));
      expect(fake.callsOf('TerminateInstanceInAutoScalingGroup')).to.have.length(0);
      expect(fake.groups.get(GROUP)?.desired).to.equal(3);

      await a.setDesired(2);
      expect(fake.callsOf('TerminateInstanceInAutoScalingGroup').map((c) => c.params.InstanceId), 'the marked node goes first').to.deep.equal(['i-0aaa']);
      expect(fake.groups.get(GROUP)?.desired).to.equal(2);
    });

    it('a decrease larger than the marks terminates the marked ones, then sets the rest', async function () {
      const a = newActuator();
      await a.markForRemoval('gpu-c');
      await a.setDesired(1);
      expect(fake.callsOf('TerminateInstanceInAutoScalingGroup').map((c) => c.params.InstanceId)).to.deep.equal(['i-0ccc']);
      expect(fake.callsOf('SetDesiredCapacity').map((c) => c.params.DesiredCapacity)).to.deep.equal(['1']);
      expect(fake.groups.get(GROUP)?.desired).to.equal(1);
    });

    it('never marks an instance of another group, a node without an EC2 providerID or an instance already leaving', async function () {
      const a = newActuator();
      await expectReject(a.markForRemoval('other'), /gpu-spot-a100 \(eu-west-1\): instance i-0999 \(node other\) is not in the group/);
      await expectReject(a.markForRemoval('kind-node'), /node kind-node has no EC2 instance in spec.providerID \(kind:\/\/docker/);
      await expectReject(a.markForRemoval('ghost'), /node ghost is not known/);

      const group = fake.groups.get(GROUP);
      const leaving = group?.instances.find((i) => i.id === 'i-0aaa');
      if (leaving) leaving.lifecycleState = 'Terminating:Wait';
      if (group) group.desired = 2;
      await a.markForRemoval('gpu-a');
      await a.setDesired(2);
      expect(fake.callsOf('TerminateInstanceInAutoScalingGroup')).to.have.length(0);
      expect(group?.desired).to.equal(2);
    });
  });

  describe('throttling', function () {
    it('is retried by the SDK when it passes', async function () {
      fake.inject('SetDesiredCapacity', 'Throttling', 1);
      await newActuator().setDesired(4);
      expect(fake.callsOf('SetDesiredCapacity')).to.have.length(2);
      expect(fake.groups.get(GROUP)?.desired).to.equal(4);
    });

    it('surfaces as a transient error naming the group and the code when it persists', async function () {
      fake.inject('DescribeAutoScalingGroups', 'Throttling', 10);
      const err = await newActuator().observe().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(AwsAsgError);
      expect((err as AwsAsgError).code).to.equal('Throttling');
      expect((err as AwsAsgError).transient).to.equal(true);
      expect((err as Error).message).to.equal(
        'Auto Scaling group gpu-spot-a100 (eu-west-1): DescribeAutoScalingGroups failed: Throttling: Rate exceeded (transient: the next tick retries)');
    });

    it('ScalingActivityInProgress on a write is transient too', async function () {
      fake.inject('SetDesiredCapacity', 'ScalingActivityInProgress', 10, 400, 'Scaling activity is in progress and blocks this action');
      const err = await newActuator().setDesired(5).then(() => undefined, (e: unknown) => e);
      expect((err as AwsAsgError).code).to.equal('ScalingActivityInProgress');
      expect((err as Error).message).to.match(/gpu-spot-a100 \(eu-west-1\): SetDesiredCapacity to 5 failed: ScalingActivityInProgress: .*transient/);
    });
  });

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────

  function poolPlan(current: number, desired: number, newNodes = 0, removals = current - desired): PoolPlan {
    return { name: 'spot', tier: 'spot', current, desired, newNodes, removals, availability: 'available', reasons: ['test'] };
  }

  function planOf(pools: PoolPlan[], nodeActions: NodeAction[]): Plan {
    return {
      at: Date.now(), dryRun: false, pools, nodeActions, pods: [], nodes: [], events: [], state: emptyState(),
      summary: {
        pendingGpuPods: 0, eligible: 0, fitsExisting: 0, absorbed: 0, scaleUp: 0, deferred: 0, unsatisfiable: 0, newNodes: 0,
        removedNodes: 0, drainingNodes: 0, allocationRatio: 0, spotShare: 0, effectiveSpotMaxShare: 0.6,
      },
    };
  }

  /** The plans here have no node patches, evictions or events: those seams must stay unused. */
  function deps(a: AwsAsgActuator, observed: Awaited<ReturnType<AwsAsgActuator['observe']>>) {
    const unused = (what: string) => () => Promise.reject(new Error(`${what} was not expected`));
    const patcher: NodePatcher = { cordon: unused('cordon'), uncordon: unused('uncordon'), taint: unused('taint'), untaint: unused('untaint') };
    const evictor: Evictor = { apply: unused('evict') };
    const events: EventSink = { emit: unused('event') };
    return { actuators: new Map([['spot', a]]), observed: new Map([['spot', observed]]), patcher, evictor, events, log: silentLogger, now: Date.now() };
  }

  async function expectReject(p: Promise<unknown>, pattern: RegExp): Promise<void> {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(String(err)).to.match(pattern);
  }
});
