import { expect } from 'chai';
import { emptyPoolMemory, emptyState } from '../../../src/nodescaler/state.js';
import type { NodeInfo, PodInfo, ScalerState } from '../../../src/nodescaler/types.js';
import { MIN, S, T0, actionsFor, config, node, nodeVerdict, pendingPod, poolPlan, run, runningPod, standardPools, type SnapInput } from './fixtures.js';

const idle = (name: string, pool: string | undefined, over: Partial<NodeInfo> = {}) => node(name, pool, { gpuAllocated: 0, dcgm: { util: 0, ageSeconds: 5 }, ...over });
const half = (name: string, pool: string, util = 0.2, over: Partial<NodeInfo> = {}) => node(name, pool, { gpuAllocated: 4, dcgm: { util, ageSeconds: 5 }, ...over });

/** Memory saying the named nodes have been unneeded for `ago` ms. */
function unneededFor(ago: number, ...names: string[]): ScalerState {
  const st = emptyState();
  for (const n of names) st.nodes[n] = { unneededSince: T0 - ago };
  return st;
}

const TEN_MIN = 10 * MIN;

/** od-2 is half used by a movable 4-GPU pod; od-3 has 4 free slots to take it. */
function halfScenario(over: { pod?: Partial<PodInfo>; node?: Partial<NodeInfo>; util?: number } = {}): SnapInput {
  return {
    nodes: [node('res-1', 'res'), node('od-1', 'od'), half('od-2', 'od', over.util ?? 0.2, over.node), node('od-3', 'od', { gpuAllocated: 4 })],
    pods: [runningPod('w', 'od-2', 4, over.pod)],
    state: unneededFor(TEN_MIN, 'od-2'),
  };
}

const removed = (plan: ReturnType<typeof run>, name: string) => plan.nodeActions.some((a) => a.kind === 'removeNode' && a.node === name);
const drained = (plan: ReturnType<typeof run>, name: string) => plan.nodeActions.some((a) => a.kind === 'taint' && a.node === name && a.taint.key === 'node-scaler.io/draining') && nodeVerdict(plan, name).status === 'draining';

describe('node-scaler §4.6 scale-down', () => {
  describe('rule 3–4: unneeded (allocation and known DCGM) for 10 min', () => {
    it('starts the timer on the first tick and removes an empty node once 600 s have passed', () => {
      const nodes = [node('res-1', 'res'), node('od-1', 'od'), idle('od-2', 'od')];
      const first = run({ nodes });
      expect(first.state.nodes['od-2']!.unneededSince).to.equal(T0);
      expect(nodeVerdict(first, 'od-2').status).to.equal('unneeded');
      expect(removed(run({ nodes, state: unneededFor(TEN_MIN - 1, 'od-2') }), 'od-2')).to.equal(false);
      const plan = run({ nodes, state: unneededFor(TEN_MIN, 'od-2') });
      expect(actionsFor(plan, 'od-2').map((a) => a.kind)).to.deep.equal(['taint', 'cordon', 'removeNode']);
      expect(poolPlan(plan, 'od')).to.include({ current: 2, desired: 1, removals: 1 });
      expect(plan.state.nodes['od-2']!.removeRequestedAt).to.equal(T0);
    });

    it('plans a removal once: the next tick does not lower desired again', () => {
      const nodes = [node('res-1', 'res'), node('od-1', 'od'), idle('od-2', 'od')];
      const plan = run({ nodes, state: unneededFor(TEN_MIN, 'od-2') });
      const next = run({ now: T0 + 10 * S, nodes, state: plan.state, pools: { od: { desired: 1, registered: 2 } } });
      expect(next.nodeActions.filter((a) => a.kind === 'removeNode')).to.deep.equal([]);
      expect(poolPlan(next, 'od').desired).to.equal(1);
      expect(nodeVerdict(next, 'od-2').status).to.equal('removing');
    });

    it('resets the timer when the node is needed again', () => {
      const plan = run({ nodes: [node('res-1', 'res'), node('od-2', 'od')], state: unneededFor(TEN_MIN, 'od-2') });
      expect(plan.state.nodes['od-2']?.unneededSince).to.equal(undefined);
    });

    const thresholds: Array<[string, Partial<NodeInfo>, boolean]> = [
      ['allocation 4/8 = 0.5 and DCGM 0.2 (both at their edge)', { gpuAllocated: 4, dcgm: { util: 0.2, ageSeconds: 5 } }, true],
      ['allocation 5/8 > 0.5', { gpuAllocated: 5, dcgm: { util: 0, ageSeconds: 5 } }, false],
      ['DCGM 0.21 > 0.2', { gpuAllocated: 4, dcgm: { util: 0.21, ageSeconds: 5 } }, false],
      ['DCGM unknown (no data)', { gpuAllocated: 4, dcgm: undefined }, false],
      ['DCGM stale (31 s > 2 × scrape)', { gpuAllocated: 4, dcgm: { util: 0, ageSeconds: 31 } }, false],
      ['DCGM 30 s old (still fresh)', { gpuAllocated: 4, dcgm: { util: 0, ageSeconds: 30 } }, true],
      ['DCGM NaN', { gpuAllocated: 4, dcgm: { util: Number.NaN, ageSeconds: 1 } }, false],
    ];
    for (const [name, over, candidate] of thresholds) {
      it(`${candidate ? 'drains' : 'keeps'} a node with ${name}`, () => {
        const plan = run(halfScenario({ node: over }));
        expect(drained(plan, 'od-2')).to.equal(candidate);
        if (!candidate) expect(nodeVerdict(plan, 'od-2').status).to.equal('in-use');
      });
    }

    it('says why unknown DCGM data keeps a node', () => {
      const plan = run(halfScenario({ node: { dcgm: undefined } }));
      expect(nodeVerdict(plan, 'od-2').reason).to.match(/DCGM utilisation unknown/);
    });
  });

  describe('rules 1, 2, 5, 6: age, opt-outs, floors and cooldowns', () => {
    const emptyOd2 = (over: Partial<NodeInfo> = {}, state = unneededFor(TEN_MIN, 'od-2')): SnapInput => ({ nodes: [node('res-1', 'res'), node('od-1', 'od'), idle('od-2', 'od', over)], state });

    it('keeps nodes younger than minNodeAge (600 s edge) and honours a per-pool override', () => {
      expect(removed(run(emptyOd2({ createdAt: T0 - 600 * S + 1 })), 'od-2')).to.equal(false);
      expect(removed(run(emptyOd2({ createdAt: T0 - 600 * S })), 'od-2')).to.equal(true);
      const pools = standardPools().map((p) => (p.name === 'od' ? { ...p, minNodeAgeSeconds: 1200 } : p));
      const plan = run({ ...emptyOd2({ createdAt: T0 - 1199 * S }), config: config({}, pools) });
      expect(nodeVerdict(plan, 'od-2').reason).to.match(/younger than 1200s/);
    });

    for (const key of ['node-scaler.io/scale-down-disabled', 'cluster-autoscaler.kubernetes.io/scale-down-disabled']) {
      it(`honours ${key}`, () => {
        const plan = run(emptyOd2({ annotations: { [key]: 'true' } }));
        expect(removed(plan, 'od-2')).to.equal(false);
        expect(nodeVerdict(plan, 'od-2').reason).to.match(/disabled by annotation/);
      });
    }

    it('never goes below min, nor below a reserved commitment', () => {
      const pools = standardPools().map((p) => (p.name === 'od' ? { ...p, min: 2 } : p));
      const plan = run({ ...emptyOd2(), config: config({}, pools) });
      expect(nodeVerdict(plan, 'od-2').reason).to.match(/at its floor \(2\)/);
      const res = run({ nodes: [idle('res-1', 'res'), node('od-1', 'od')], state: unneededFor(TEN_MIN, 'res-1') });
      expect(nodeVerdict(res, 'res-1').reason).to.match(/at its floor \(1, commitment 1\)/);
    });

    const cooldowns: Array<[string, (st: ScalerState, ago: number) => void, number]> = [
      ['delayAfterAdd (600 s) after a scale-up in the pool', (st, ago) => (st.pools.od = { ...emptyPoolMemory(), lastScaleUpAt: T0 - ago }), 600],
      ['delayAfterFailure (180 s) after a failed drain in the pool', (st, ago) => (st.pools.od = { ...emptyPoolMemory(), lastDrainFailureAt: T0 - ago }), 180],
    ];
    for (const [name, set, seconds] of cooldowns) {
      it(`waits ${name}`, () => {
        const at = (ago: number) => {
          const st = unneededFor(TEN_MIN, 'od-2');
          set(st, ago);
          return run(emptyOd2({}, st));
        };
        expect(removed(at(seconds * S - 1), 'od-2')).to.equal(false);
        expect(removed(at(seconds * S), 'od-2')).to.equal(true);
      });
    }

    it('waits the global scale-down cooldown (600 s) between non-empty removals, but not for empty ones', () => {
      const at = (ago: number) => {
        const input = halfScenario();
        input.nodes!.push(idle('od-4', 'od'));
        input.state = unneededFor(TEN_MIN, 'od-2', 'od-4');
        input.state.lastNonEmptyRemovalAt = T0 - ago;
        return run(input);
      };
      const cooling = at(600 * S - 1);
      expect(drained(cooling, 'od-2')).to.equal(false);
      expect(nodeVerdict(cooling, 'od-2').reason).to.match(/scale-down cooldown/);
      expect(removed(cooling, 'od-4')).to.equal(true);
      expect(drained(at(600 * S), 'od-2')).to.equal(true);
    });

    it('never scales a pool down in the tick it scales up', () => {
      const input = halfScenario();
      input.pods!.push(pendingPod('big', { requests: { 'nvidia.com/gpu': 8 }, compatiblePools: ['od'] }));
      const plan = run(input);
      expect(poolPlan(plan, 'od').newNodes).to.equal(1);
      expect(nodeVerdict(plan, 'od-2').reason).to.match(/scales up in this tick/);
    });
  });

  describe('rule 7: every pod must be removable and fit elsewhere', () => {
    const blockers: Array<[string, Partial<PodInfo>, RegExp | null]> = [
      ['a controller-owned pod', {}, null],
      ['a bare pod', { owner: undefined }, /bare pod/],
      ['a bare pod marked safe-to-evict', { owner: undefined, annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' } }, null],
      ['safe-to-evict "false"', { annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' } }, /safe-to-evict is "false"/],
      ['karpenter.sh/do-not-disrupt', { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } }, /do-not-disrupt/],
      ['do-not-disrupt 30m, started 10 min ago', { annotations: { 'karpenter.sh/do-not-disrupt': '30m' }, startedAt: T0 - 10 * MIN }, /do-not-disrupt for 30m/],
      ['do-not-disrupt 30m, started 31 min ago', { annotations: { 'karpenter.sh/do-not-disrupt': '30m' }, startedAt: T0 - 31 * MIN }, null],
      ['local storage', { localVolumes: ['scratch'] }, /local storage \(scratch\)/],
      ['local storage listed as safe', { localVolumes: ['scratch'], annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes': 'scratch' } }, null],
      ['two PDBs', { pdbs: ['ml/a', 'ml/b'] }, /more than one PodDisruptionBudget/],
      ['a PDB allowing 0 disruptions', { pdbs: ['ml/zero'] }, /ml\/zero allows 0 disruption/],
      ['a PDB allowing 1 disruption', { pdbs: ['ml/one'] }, null],
      ['a kube-system pod without a PDB', { namespace: 'kube-system' }, /kube-system pod without a PodDisruptionBudget/],
    ];
    for (const [name, over, blocked] of blockers) {
      it(`${blocked ? 'is blocked by' : 'drains with'} ${name}`, () => {
        const input = halfScenario({ pod: over });
        input.pdbs = [
          { namespace: 'ml', name: 'zero', disruptionsAllowed: 0 },
          { namespace: 'ml', name: 'one', disruptionsAllowed: 1 },
        ];
        const plan = run(input);
        expect(drained(plan, 'od-2')).to.equal(blocked === null);
        if (blocked) expect(nodeVerdict(plan, 'od-2').reason).to.match(blocked);
      });
    }

    it('ignores DaemonSet and mirror pods: the node counts as empty', () => {
      const plan = run({
        nodes: [node('res-1', 'res'), node('od-1', 'od'), idle('od-2', 'od')],
        pods: [runningPod('ds', 'od-2', 0, { owner: { kind: 'DaemonSet', name: 'dcgm', controller: true } }), runningPod('static', 'od-2', 0, { owner: undefined, mirror: true })],
        state: unneededFor(TEN_MIN, 'od-2'),
      });
      expect(removed(plan, 'od-2')).to.equal(true);
    });

    it('keeps a node whose GPU pods have no free slots elsewhere', () => {
      const input = halfScenario();
      input.nodes = input.nodes!.filter((n) => n.name !== 'od-3');
      const plan = run(input);
      expect(drained(plan, 'od-2')).to.equal(false);
      expect(nodeVerdict(plan, 'od-2').reason).to.equal('allocation 4/8, DCGM 0.200; no other node has 4 free nvidia.com/gpu for ml/w');
    });

    it('evicts through the Eviction API, lowest band first, grace capped at 600 s', () => {
      const input = halfScenario({ pod: { terminationGracePeriodSeconds: 3600 } });
      input.pods!.push(runningPod('cpu', 'od-2', 0, { annotations: { 'gpu-autoscaler.io/eviction-priority': 'low' } }));
      const plan = run(input);
      const evicts = plan.nodeActions.filter((a) => a.kind === 'evict');
      expect(evicts).to.deep.equal([{ kind: 'evict', node: 'od-2', pod: { namespace: 'ml', name: 'cpu' }, uid: 'uid-cpu', graceSeconds: 30, notBefore: T0, band: 'low', reason: 'scale-down drain: band low' }]);
    });
  });

  describe('victims', () => {
    it('removes empty nodes in bulk, at most 10 per tick', () => {
      const nodes = [node('res-1', 'res'), node('od-1', 'od'), ...Array.from({ length: 12 }, (_, i) => idle(`od-e${String(i).padStart(2, '0')}`, 'od'))];
      const plan = run({ nodes, state: unneededFor(TEN_MIN, ...nodes.map((n) => n.name)) });
      expect(plan.summary.removedNodes).to.equal(10);
      expect(nodeVerdict(plan, 'od-e11').reason).to.match(/next bulk/);
    });

    it('removes on-demand before spot before reserved overflow', () => {
      const pools = standardPools().map((p) => (p.name === 'res' ? { ...p, max: 3 } : p));
      const nodes = [node('res-1', 'res'), idle('res-2', 'res'), node('od-1', 'od'), idle('od-2', 'od'), idle('spot-a-1', 'spot-a'), node('spot-a-2', 'spot-a')];
      const st = unneededFor(TEN_MIN, 'res-2', 'od-2', 'spot-a-1');
      const one = run({ config: config({ scaleDown: { maxEmptyBulk: 1 } }, pools), nodes, state: st });
      expect(one.nodeActions.filter((a) => a.kind === 'removeNode').map((a) => 'node' in a && a.node)).to.deep.equal(['od-2']);
      const two = run({ config: config({ scaleDown: { maxEmptyBulk: 2 } }, pools), nodes, state: st });
      expect(two.nodeActions.filter((a) => a.kind === 'removeNode').map((a) => 'node' in a && a.node)).to.deep.equal(['od-2', 'spot-a-1']);
    });

    it('does not remove on-demand capacity if that pushes the spot share above the cap (0.6 edge allowed)', () => {
      const base = [node('res-1', 'res'), node('od-1', 'od'), idle('od-2', 'od'), node('spot-a-1', 'spot-a'), node('spot-a-2', 'spot-a'), node('spot-a-3', 'spot-a')];
      // 24 spot of 48; without od-2: 24/40 = 0.6.
      expect(removed(run({ nodes: base, state: unneededFor(TEN_MIN, 'od-2') }), 'od-2')).to.equal(true);
      const more = [...base, node('spot-a-4', 'spot-a')];
      const plan = run({ nodes: more, state: unneededFor(TEN_MIN, 'od-2') });
      expect(removed(plan, 'od-2')).to.equal(false);
      expect(nodeVerdict(plan, 'od-2').reason).to.match(/spot share to 0.667 > 0.600/);
    });

    it('drains at most one non-empty node per pool and two in all', () => {
      const cfg = config({ scaleDown: { cooldownSeconds: 0 } });
      const nodes = [node('res-1', 'res'), node('od-1', 'od', { gpuAllocated: 0, dcgm: { util: 0.5, ageSeconds: 1 } }), node('od-9', 'od', { gpuAllocated: 0 }), half('od-2', 'od'), half('od-3', 'od'), half('spot-a-1', 'spot-a'), half('spot-b-1', 'spot-b')];
      const pods = [runningPod('a', 'od-2', 4), runningPod('b', 'od-3', 4), runningPod('c', 'spot-a-1', 4), runningPod('d', 'spot-b-1', 4), runningPod('keep', 'od-1', 0), runningPod('keep2', 'od-9', 0)];
      const st = unneededFor(TEN_MIN, 'od-2', 'od-3', 'spot-a-1', 'spot-b-1');
      const plan = run({ config: cfg, nodes, pods, state: st });
      const draining = plan.nodes.filter((n) => n.status === 'draining').map((n) => n.name);
      // On-demand first; among spot pools the dearer GPUs (spot-b, 14/h) go first.
      expect(draining).to.deep.equal(['od-2', 'spot-b-1']);
      expect(nodeVerdict(plan, 'od-3').reason).to.match(/a drain is in progress in pool od/);
      expect(nodeVerdict(plan, 'spot-a-1').reason).to.match(/2 drain\(s\) in progress \(max 2\)/);
    });
  });

  describe('drain progress', () => {
    const drainingNode = (since: number, over: Partial<NodeInfo> = {}) =>
      node('od-2', 'od', { gpuAllocated: 4, unschedulable: true, taints: [{ key: 'node-scaler.io/draining', value: String(Math.floor(since / 1000)), effect: 'NoSchedule' }], ...over });

    it('evicts band by band and removes the node once only node-bound pods are left', () => {
      const pods = [runningPod('low', 'od-2', 2, { annotations: { 'gpu-autoscaler.io/eviction-priority': 'low' } }), runningPod('train', 'od-2', 2, { labels: { 'gpu-autoscaler.io/workload-type': 'training' } })];
      const plan = run({ nodes: [node('od-1', 'od'), drainingNode(T0 - 60 * S)], pods });
      expect(plan.nodeActions.filter((a) => a.kind === 'evict').map((a) => a.kind === 'evict' && a.pod.name)).to.deep.equal(['low']);
      const later = run({ nodes: [node('od-1', 'od'), drainingNode(T0 - 60 * S)], pods: [pods[1]!] });
      expect(later.nodeActions.filter((a) => a.kind === 'evict').map((a) => a.kind === 'evict' && a.band)).to.deep.equal(['high']);
      const done = run({ nodes: [node('od-1', 'od'), drainingNode(T0 - 60 * S, { gpuAllocated: 0 })], pods: [runningPod('ds', 'od-2', 0, { owner: { kind: 'DaemonSet', name: 'x', controller: true } })] });
      expect(done.nodeActions).to.deep.include({ kind: 'removeNode', pool: 'od', node: 'od-2', reason: 'drained' });
    });

    it('takes a drained, empty node back instead of asking for a new one in the same pool', () => {
      const plan = run({ nodes: [node('od-1', 'od'), drainingNode(T0 - 60 * S, { gpuAllocated: 0 })], pods: [pendingPod('p', { requests: { 'nvidia.com/gpu': 8 }, compatiblePools: ['od'] })] });
      expect(poolPlan(plan, 'od')).to.include({ current: 2, desired: 2, newNodes: 0, removals: 0 });
      expect(actionsFor(plan, 'od-2').map((a) => a.kind)).to.deep.equal(['untaint', 'uncordon']);
      expect(plan.pods[0]).to.include({ status: 'fits-existing', node: 'od-2', reason: 'drained node od-2 kept for it (drain cancelled)' });
      expect(plan.state.nodes['od-2']).to.deep.equal({ drainCancelledAt: T0 });
    });

    it('aborts a drain after the timeout (660 s edge): uncordon, untaint, keep the node a while, pause the pool', () => {
      const pods = [runningPod('stuck', 'od-2', 4)];
      const edge = run({ nodes: [node('od-1', 'od'), drainingNode(T0 - 660 * S)], pods });
      expect(nodeVerdict(edge, 'od-2').status).to.equal('draining');
      const plan = run({ nodes: [node('od-1', 'od'), drainingNode(T0 - 661 * S)], pods });
      expect(actionsFor(plan, 'od-2').map((a) => a.kind)).to.deep.equal(['untaint', 'uncordon']);
      expect(plan.state.nodes['od-2']).to.deep.equal({ unremovableUntil: T0 + 300 * S, drainCancelledAt: T0 });
      expect(plan.state.pools.od!.lastDrainFailureAt).to.equal(T0);
      expect(plan.events.some((e) => e.reason === 'ScaleDownFailed')).to.equal(true);
    });
  });

  it('can be switched off', () => {
    const plan = run({ config: config({ scaleDown: { enabled: false } }, standardPools()), nodes: [node('od-1', 'od'), idle('od-2', 'od')], state: unneededFor(TEN_MIN, 'od-2') });
    expect(removed(plan, 'od-2')).to.equal(false);
    expect(nodeVerdict(plan, 'od-2').reason).to.match(/disabled by configuration/);
  });

  it('leaves nodes of unconfigured pools alone', () => {
    const plan = run({ nodes: [idle('x-1', 'unknown-pool'), idle('y-1', undefined)], state: unneededFor(TEN_MIN, 'x-1') });
    expect(plan.nodeActions).to.deep.equal([]);
    expect(plan.nodes.map((n) => n.status)).to.deep.equal(['unmanaged', 'unmanaged']);
  });
});
