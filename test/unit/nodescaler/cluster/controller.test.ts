import { expect } from 'chai';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { ActuatorObservation, EvictAction, EvictionOutcome, PoolActuator } from '../../../../src/nodescaler/cluster/contracts.js';
import { NodeScalerController, type ControllerDeps } from '../../../../src/nodescaler/cluster/controller.js';
import type { ClusterObjects } from '../../../../src/nodescaler/cluster/snapshot-builder.js';
import type { ActuatorRef } from '../../../../src/nodescaler/config.js';
import type { PlanEvent, ScalerState } from '../../../../src/nodescaler/types.js';
import { silentLogger } from '../../../../src/util/log.js';
import { config, rawPool } from '../fixtures.js';
import { node, pod, T0 } from './objects.js';

/** A pool engine in memory: what the controller reads and writes through the PoolActuator seam. */
class MemoryPool implements PoolActuator {
  get ref(): ActuatorRef {
    return { kind: 'clusterApi', resource: 'MachineDeployment', apiVersion: 'cluster.x-k8s.io/v1beta1', namespace: 'capi', name: this.name };
  }
  writes: number[] = [];
  marks: string[] = [];
  failObserve: string | undefined;
  failure: ActuatorObservation['capacityFailure'];
  constructor(readonly name: string, public desired = 0, public nodes: string[] = []) {}
  async observe(): Promise<ActuatorObservation> {
    if (this.failObserve) throw new Error(this.failObserve);
    return { desired: this.desired, nodes: [...this.nodes], ...(this.failure ? { capacityFailure: this.failure } : {}) };
  }
  async setDesired(n: number): Promise<void> {
    this.writes.push(n);
    this.desired = n;
  }
  async markForRemoval(node: string): Promise<void> {
    this.marks.push(node);
  }
}

class Recorder {
  patches: string[] = [];
  evictions: EvictAction[] = [];
  events: PlanEvent[] = [];
  patcher = {
    cordon: async (n: string) => void this.patches.push(`cordon ${n}`),
    uncordon: async (n: string) => void this.patches.push(`uncordon ${n}`),
    taint: async (n: string, t: { key: string }) => void this.patches.push(`taint ${n} ${t.key}`),
    untaint: async (n: string, k: string) => void this.patches.push(`untaint ${n} ${k}`),
  };
  evictor = { apply: async (a: readonly EvictAction[]): Promise<EvictionOutcome[]> => (this.evictions.push(...a), []) };
  sink = { emit: async (e: PlanEvent) => void this.events.push(e) };
}

class Watch {
  objects_: ClusterObjects = { pods: [], nodes: [], pdbs: [] };
  private listener: ((n: V1Node) => void) | undefined;
  objects(): ClusterObjects {
    return this.objects_;
  }
  onNodeChange(l: (n: V1Node) => void): void {
    this.listener = l;
  }
  fire(n: V1Node): void {
    this.listener?.(n);
  }
}

const pending = (name: string, gpus = 8): V1Pod =>
  pod(name, { gpus }, (p) => {
    p.status!.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: new Date(T0 - 60_000) }];
  });

function setup(over: Partial<ControllerDeps> = {}) {
  const spot = new MemoryPool('spot-a');
  const od = new MemoryPool('od');
  const rec = new Recorder();
  const watch = new Watch();
  let leader = true;
  const deps: ControllerDeps = {
    config: config({ dryRun: false, pendingDelaySeconds: 0, spot: { maxShare: 1 } }, [rawPool('spot-a', 'spot'), rawPool('od', 'onDemand')]),
    log: silentLogger,
    watch,
    actuators: new Map<string, PoolActuator>([['spot-a', spot], ['od', od]]),
    patcher: rec.patcher,
    evictor: rec.evictor,
    events: rec.sink,
    dcgm: () => undefined,
    isLeader: () => leader,
    now: () => T0,
    ...over,
  };
  const controller = new NodeScalerController(deps);
  return { controller, spot, od, rec, watch, deps, setLeader: (b: boolean) => (leader = b) };
}

describe('node-scaler controller tick', () => {
  it('a pending GPU pod becomes one replica more on the cheapest pool, with an Event', async () => {
    const { controller, spot, od, rec, watch } = setup();
    watch.objects_.pods = [pending('train-0')];
    const out = await controller.tick();
    expect(out.kind).to.equal('done');
    expect(spot.writes).to.deep.equal([1]);
    expect(od.writes).to.deep.equal([]);
    expect(rec.events.map((e) => e.reason)).to.include('TriggeredScaleUp');
    // The next tick sees the request in flight (desired 1, nothing registered): no second node.
    await controller.tick();
    expect(spot.writes).to.deep.equal([1]);
  });

  it('skips the whole tick when any pool cannot be observed (an unread pool is not an empty pool)', async () => {
    const { controller, spot, od, watch } = setup();
    watch.objects_.pods = [pending('train-0')];
    od.failObserve = 'HTTP 503: etcd timeout';
    const out = await controller.tick();
    expect(out).to.deep.include({ kind: 'skipped' });
    expect(out.kind === 'skipped' && out.reason).to.contain('pool od: HTTP 503');
    expect(spot.writes).to.deep.equal([]);
  });

  it('a standby observes nothing and writes nothing', async () => {
    const { controller, spot, watch, setLeader } = setup();
    setLeader(false);
    watch.objects_.pods = [pending('train-0')];
    expect(await controller.tick()).to.deep.equal({ kind: 'standby' });
    expect(spot.writes).to.deep.equal([]);
  });

  it('an interruption notice on a node ticks at once: cordon and taint without waiting for the interval', async () => {
    const { controller, spot, rec, watch } = setup();
    spot.desired = 1;
    spot.nodes = ['gpu-1'];
    const n = node('gpu-1', { gpus: '8' }, (x) => {
      x.metadata!.annotations = { 'gpu-autoscaler.io/spot-interruption-warning': 'true', 'gpu-autoscaler.io/spot-termination-time': new Date(T0 + 120_000).toISOString() };
    });
    watch.objects_.nodes = [n];
    watch.objects_.pods = [pod('job-0', { node: 'gpu-1', gpus: 8 })];
    watch.fire(n);
    await controller.requestTick('test: wait for the running tick');
    expect(rec.patches).to.include('cordon gpu-1');
    expect(rec.patches.some((p) => p.startsWith('taint gpu-1 node-scaler.io/interrupted'))).to.equal(true);
    // Once the node carries our taint and the notice is in memory, further updates do not tick again.
    const before = rec.patches.length;
    n.spec = { unschedulable: true, taints: [{ key: 'node-scaler.io/interrupted', value: '1', effect: 'NoSchedule' }] };
    watch.fire(n);
    expect(rec.patches.length).to.equal(before);
  });

  it('resumes the saved memory when it starts leading and saves it after each tick; a failing save is not fatal', async () => {
    let saved: ScalerState | undefined;
    let failSave = false;
    const stateStore = {
      load: async () => saved,
      save: async (s: ScalerState) => {
        if (failSave) throw new Error('HTTP 409: conflict');
        saved = JSON.parse(JSON.stringify(s)) as ScalerState;
      },
    };
    // The spot engine reports a capacity failure: the pool backs off and on-demand serves the pod.
    const first = setup({ stateStore });
    first.spot.failure = { at: T0 - 1_000, reason: 'InsufficientInstanceCapacity' };
    first.watch.objects_.pods = [pending('train-0')];
    await first.controller.tick();
    expect(first.od.writes).to.deep.equal([1]);
    expect(saved?.pools['spot-a']?.availability.state).to.equal('backoff');

    // A new leader (the failed Machine is gone by now) resumes the backoff: the next pod goes on-demand too.
    const second = setup({ stateStore });
    second.od.desired = 1;
    second.watch.objects_.pods = [pending('train-0'), pending('train-1')];
    await second.controller.resume();
    failSave = true;
    const out = await second.controller.tick();
    expect(out.kind).to.equal('done');
    expect(second.spot.writes).to.deep.equal([]);
    expect(second.od.writes).to.deep.equal([2]);

    // Without the saved memory the same tick would retry the pool that just failed.
    const amnesiac = setup();
    amnesiac.od.desired = 1;
    amnesiac.watch.objects_.pods = [pending('train-0'), pending('train-1')];
    await amnesiac.controller.tick();
    expect(amnesiac.spot.writes).to.deep.equal([1]);
  });
});
