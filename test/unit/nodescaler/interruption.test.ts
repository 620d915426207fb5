import { expect } from 'chai';
import { podBand } from '../../../src/nodescaler/bands.js';
import { detectCapacityType, detectInterruption } from '../../../src/nodescaler/signals.js';
import { emptyPoolMemory, emptyState } from '../../../src/nodescaler/state.js';
import type { InterruptionSignal, NodeInfo, NodeAction, Plan, ScalerState } from '../../../src/nodescaler/types.js';
import { HOUR, S, T0, actionsFor, config, node, nodeVerdict, pendingPod, poolPlan, rawPool, run, runningPod, standardPools, type SnapInput } from './fixtures.js';

const aws: InterruptionSignal = { kind: 'terminate', source: 'aws-node-termination-handler/spot-itn', provider: 'aws' };
const D = T0 + 120 * S;

function stormPods() {
  return [
    runningPod('low', 'spot-a-1', 1, { annotations: { 'gpu-autoscaler.io/eviction-priority': 'low' }, terminationGracePeriodSeconds: 30 }),
    runningPod('med', 'spot-a-1', 2, { terminationGracePeriodSeconds: 60 }),
    runningPod('train', 'spot-a-1', 4, { labels: { 'gpu-autoscaler.io/workload-type': 'training' }, terminationGracePeriodSeconds: 120 }),
  ];
}

function interrupted(signal: InterruptionSignal = aws, over: Partial<NodeInfo> = {}): SnapInput {
  return {
    nodes: [node('res-1', 'res'), node('od-1', 'od'), node('spot-a-1', 'spot-a', { gpuAllocated: 7, interruption: signal, ...over }), node('spot-a-2', 'spot-a')],
    pods: stormPods(),
  };
}

const kinds = (actions: NodeAction[]) => actions.map((a) => a.kind);
const evictions = (plan: Plan) => plan.nodeActions.filter((a): a is Extract<NodeAction, { kind: 'evict' }> => a.kind === 'evict').map((a) => ({ pod: a.pod.name, band: a.band, at: (a.notBefore - T0) / S, grace: a.graceSeconds }));

describe('node-scaler §4.7 interruption handling', () => {
  describe('terminate notice (AWS, drain mode)', () => {
    const plan = run(interrupted());

    it('taints and cordons the node in the tick it is seen', () => {
      const acts = actionsFor(plan, 'spot-a-1');
      expect(acts[0]).to.deep.equal({ kind: 'taint', node: 'spot-a-1', taint: { key: 'node-scaler.io/interrupted', value: String(D / 1000), effect: 'NoSchedule' }, reason: 'interruption notice' });
      expect(acts[1]).to.deep.include({ kind: 'cordon' });
      expect(plan.state.nodes['spot-a-1']!.interruptionSeenAt).to.equal(T0);
      expect(plan.events.find((e) => e.reason === 'SpotInterruption')!.message).to.contain(new Date(D).toISOString());
    });

    it('requests the replacement first, in another pool, and backs the interrupted pool off', () => {
      expect(poolPlan(plan, 'spot-b')).to.include({ newNodes: 1 });
      expect(poolPlan(plan, 'spot-b').reasons[0]).to.equal('+1 node(s): replacement for spot-a-1');
      expect(poolPlan(plan, 'spot-a')).to.include({ newNodes: 0, availability: 'backoff' });
    });

    it('splits the 110 s window by band weight 1:3:6 — low 11 s, medium 33 s, high 66 s', () => {
      expect(evictions(plan)).to.deep.equal([
        { pod: 'low', band: 'low', at: 0, grace: 11 },
        { pod: 'med', band: 'medium', at: 11, grace: 33 },
        { pod: 'train', band: 'high', at: 44, grace: 66 },
      ]);
    });

    it('force-deletes what is left at D − ε with grace clamped to the time left', () => {
      const forced = plan.nodeActions.filter((a) => a.kind === 'forceDelete');
      expect(forced.map((a) => a.kind === 'forceDelete' && [a.pod.name, (a.at - T0) / S, a.graceSeconds])).to.deep.equal([
        ['low', 110, 8],
        ['med', 110, 8],
        ['train', 110, 8],
      ]);
    });

    it('moves the next band forward when the lower one is gone, and caps grace by the pod own value', () => {
      const next = interrupted();
      next.pods = stormPods().slice(1);
      next.pods[0]!.terminationGracePeriodSeconds = 20;
      next.now = T0 + 5 * S;
      next.state = plan.state;
      next.pools = { 'spot-b': { desired: 1, registered: 0 } };
      const later = run(next);
      expect(evictions(later)).to.deep.equal([
        { pod: 'med', band: 'medium', at: 5, grace: 20 },
        { pod: 'train', band: 'high', at: 44, grace: 66 },
      ]);
      // The replacement requested last tick absorbs the displaced pods: nothing new.
      expect(later.summary.newNodes).to.equal(0);
    });

    it('keeps PDBs to the end when respectPdbUntilDeadline is set', () => {
      const input = interrupted();
      input.config = config({ interruption: { respectPdbUntilDeadline: true } });
      expect(kinds(run(input).nodeActions)).to.not.include('forceDelete');
    });
  });

  it('uses the notice own deadline when it has one', () => {
    const plan = run(interrupted({ ...aws, deadline: T0 + 60 * S }));
    expect(evictions(plan).map((e) => e.grace)).to.deep.equal([5, 15, 30]);
  });

  it('observes on GCP and Azure (the platform drains): replacement but no evictions', () => {
    const gcp: InterruptionSignal = { kind: 'terminate', source: 'cloud.google.com/impending-node-termination', provider: 'gcp' };
    const plan = run(interrupted(gcp));
    expect(kinds(plan.nodeActions)).to.deep.equal(['taint', 'cordon']);
    expect(plan.nodeActions[0]!.kind === 'taint' && plan.nodeActions[0]!.taint.value).to.equal(String((T0 + 30 * S) / 1000));
    expect(poolPlan(plan, 'spot-b').newNodes).to.equal(1);
    expect(nodeVerdict(plan, 'spot-a-1').reason).to.match(/observe/);
  });

  it('drains for scheduled maintenance even on GCP, and does not back the pool off', () => {
    const plan = run(interrupted({ kind: 'maintenance', source: 'test', provider: 'gcp' }));
    expect(evictions(plan)).to.have.length(3);
    expect(poolPlan(plan, 'spot-a').availability).to.equal('available');
  });

  it('does not taint or cordon again what is already tainted and cordoned', () => {
    const plan = run(interrupted(aws, { unschedulable: true, taints: [{ key: 'node-scaler.io/interrupted', value: String(D / 1000), effect: 'NoSchedule' }] }));
    expect(kinds(actionsFor(plan, 'spot-a-1'))).to.not.include.members(['taint', 'cordon']);
  });

  it('removes an empty interrupted node at once and only once', () => {
    const input = interrupted(aws, { gpuAllocated: 0 });
    input.pods = [];
    const plan = run(input);
    expect(plan.nodeActions).to.deep.include({ kind: 'removeNode', pool: 'spot-a', node: 'spot-a-1', reason: 'interrupted node is empty' });
    expect(poolPlan(plan, 'spot-a').desired).to.equal(1);
    const again = run({ ...input, now: T0 + 10 * S, state: plan.state, pools: { 'spot-a': { desired: 1, registered: 2 } } });
    expect(kinds(again.nodeActions)).to.not.include('removeNode');
  });

  it('removes the node at the deadline even with pods left, unless the pool is at its floor', () => {
    const st = emptyState();
    st.nodes['spot-a-1'] = { interruptionSeenAt: T0 - 130 * S };
    const plan = run({ ...interrupted(), state: st });
    expect(plan.nodeActions).to.deep.include({ kind: 'removeNode', pool: 'spot-a', node: 'spot-a-1', reason: 'interruption deadline passed' });
    const floor = config({}, standardPools().map((p) => (p.name === 'spot-a' ? { ...p, min: 2 } : p)));
    const kept = run({ ...interrupted(), state: st, config: floor });
    expect(kinds(kept.nodeActions)).to.not.include('removeNode');
    expect(nodeVerdict(kept, 'spot-a-1').reason).to.match(/replaces the node in place/);
  });

  it('places displaced pods on free capacity elsewhere before asking for a node', () => {
    const input = interrupted();
    input.nodes!.push(node('od-2', 'od', { gpuAllocated: 0 }));
    const plan = run(input);
    expect(plan.summary.newNodes).to.equal(0);
  });

  describe('rebalance recommendation (at risk)', () => {
    const rebalance: InterruptionSignal = { kind: 'rebalance', source: 'aws-node-termination-handler/rebalance-recommendation', provider: 'aws' };

    it('taints PreferNoSchedule (no cordon) and pre-provisions one replacement elsewhere, once', () => {
      const plan = run(interrupted(rebalance));
      expect(actionsFor(plan, 'spot-a-1')).to.deep.equal([{ kind: 'taint', node: 'spot-a-1', taint: { key: 'node-scaler.io/at-risk', value: 'true', effect: 'PreferNoSchedule' }, reason: 'rebalance recommendation' }]);
      expect(poolPlan(plan, 'spot-b').newNodes).to.equal(1);
      expect(poolPlan(plan, 'spot-a').availability).to.equal('available');
      expect(plan.state.nodes['spot-a-1']).to.deep.include({ atRiskSince: T0, atRiskReplacement: 'spot-b' });
      const again = run({ ...interrupted(rebalance), now: T0 + 10 * S, state: plan.state, pools: { 'spot-b': { desired: 1, registered: 0 } } });
      expect(again.summary.newNodes).to.equal(0);
    });

    it('lifts the taint after atRiskTtl (1800 s) without a terminate notice', () => {
      const st: ScalerState = emptyState();
      st.nodes['spot-a-1'] = { atRiskSince: T0 - 1800 * S, atRiskReplacement: 'spot-b' };
      const plan = run({ ...interrupted(rebalance, { taints: [{ key: 'node-scaler.io/at-risk', value: 'true', effect: 'PreferNoSchedule' }] }), state: st });
      expect(actionsFor(plan, 'spot-a-1')).to.deep.equal([{ kind: 'untaint', node: 'spot-a-1', key: 'node-scaler.io/at-risk', reason: 'no terminate notice within 1800s' }]);
    });
  });

  describe('interruption-rate feedback', () => {
    function withRate(interruptions: number, avgNodes: number): ScalerState {
      const st = emptyState();
      st.pools['spot-a'] = {
        ...emptyPoolMemory(),
        interruptions: Array.from({ length: interruptions }, (_, i) => T0 - (i + 1) * HOUR),
        sizeHours: [{ hour: Math.floor(T0 / HOUR) - 1, nodeSeconds: avgNodes * 3600, seconds: 3600 }],
      };
      return st;
    }
    const pod = () => [pendingPod('p', { requests: { 'nvidia.com/gpu': 8 } })];

    it('demotes a spot pool above 0.1 interruptions per node-day and lowers the spot cap one step', () => {
      const plan = run({ nodes: [node('res-1', 'res'), node('od-1', 'od')], pods: pod(), state: withRate(2, 10) });
      expect(plan.state.pools['spot-a']!.demoted).to.equal(true);
      expect(plan.pods[0]!.pool).to.equal('spot-b');
      expect(plan.summary.effectiveSpotMaxShare).to.be.closeTo(0.5, 1e-9);
      expect(plan.state.spotShareSteps).to.equal(1);
    });

    it('does not react at exactly 0.1 per node-day', () => {
      const plan = run({ nodes: [node('res-1', 'res'), node('od-1', 'od')], pods: pod(), state: withRate(1, 10) });
      expect(plan.state.pools['spot-a']!.demoted).to.equal(false);
      expect(plan.pods[0]!.pool).to.equal('spot-a');
      expect(plan.summary.effectiveSpotMaxShare).to.equal(0.6);
    });

    it('lowers the cap at most once a day and never below the floor (0.2)', () => {
      const st = withRate(5, 1);
      st.spotShareSteps = 4;
      st.spotShareChangedAt = T0 - 25 * HOUR;
      const plan = run({ nodes: [node('od-1', 'od')], state: st });
      expect(plan.state.spotShareSteps).to.equal(4);
      expect(plan.summary.effectiveSpotMaxShare).to.be.closeTo(0.2, 1e-9);
      const st2 = withRate(5, 1);
      st2.spotShareSteps = 1;
      st2.spotShareChangedAt = T0 - 23 * HOUR;
      expect(run({ nodes: [node('od-1', 'od')], state: st2 }).state.spotShareSteps).to.equal(1);
    });

    it('restores one step after 24 h with every spot pool below λ_max/2', () => {
      const st = emptyState();
      st.spotShareSteps = 2;
      st.spotShareChangedAt = T0 - 48 * HOUR;
      st.spotCalmSince = T0 - 24 * HOUR;
      const plan = run({ nodes: [node('od-1', 'od')], state: st });
      expect(plan.state.spotShareSteps).to.equal(1);
      expect(plan.summary.effectiveSpotMaxShare).to.be.closeTo(0.5, 1e-9);
      st.spotCalmSince = T0 - 24 * HOUR + 1;
      expect(run({ nodes: [node('od-1', 'od')], state: st }).state.spotShareSteps).to.equal(2);
    });
  });

  describe('eviction bands', () => {
    const cfg = config();
    const cases: Array<[string, Parameters<typeof runningPod>[3], string]> = [
      ['annotation low', { annotations: { 'gpu-autoscaler.io/eviction-priority': 'low' } }, 'low'],
      ['annotation beats system priority', { annotations: { 'gpu-autoscaler.io/eviction-priority': 'medium' }, priority: 2_000_000_000 }, 'medium'],
      ['workload-type label training', { labels: { 'gpu-autoscaler.io/workload-type': 'training' } }, 'high'],
      ['workload-type annotation batch', { annotations: { 'gpu-autoscaler.io/workload-type': 'batch' } }, 'low'],
      ['workload-type inference', { labels: { 'gpu-autoscaler.io/workload-type': 'inference' } }, 'medium'],
      ['system-node-critical class', { priorityClassName: 'system-node-critical' }, 'systemCritical'],
      ['priority 1000000', { priority: 1_000_000 }, 'systemCritical'],
      ['priority 1001', { priority: 1001 }, 'high'],
      ['priority 1000', { priority: 1000 }, 'medium'],
      ['nothing', {}, 'medium'],
    ];
    for (const [name, over, band] of cases) {
      it(`${name} → ${band}`, () => {
        expect(podBand(runningPod('p', 'n', 1, over), cfg)).to.equal(band);
      });
    }
  });

  describe('signal normalisation for the snapshot builder', () => {
    const base = { labels: {}, annotations: {}, taints: [] as NodeInfo['taints'] };
    it('reads provider taints and the test/ops annotations', () => {
      expect(detectInterruption({ ...base, taints: [{ key: 'aws-node-termination-handler/spot-itn', effect: 'NoSchedule' }], providerID: 'aws:///us-east-1a/i-1' })).to.deep.equal({ kind: 'terminate', source: 'aws-node-termination-handler/spot-itn', provider: 'aws' });
      expect(detectInterruption({ ...base, taints: [{ key: 'cloud.google.com/impending-node-termination', effect: 'NoSchedule' }] })!.provider).to.equal('gcp');
      expect(detectInterruption({ ...base, taints: [{ key: 'remediator.kubernetes.azure.com/unschedulable', effect: 'NoSchedule' }] })!.provider).to.equal('azure');
      expect(detectInterruption({ ...base, taints: [{ key: 'aws-node-termination-handler/rebalance-recommendation', effect: 'NoSchedule' }] })!.kind).to.equal('rebalance');
      expect(detectInterruption({ ...base, taints: [{ key: 'aws-node-termination-handler/rebalance-recommendation', effect: 'NoSchedule' }, { key: 'aws-node-termination-handler/scheduled-maintenance', effect: 'NoSchedule' }] })!.kind).to.equal('maintenance');
      expect(detectInterruption({ ...base, annotations: { 'node-scaler.io/interruption-deadline': '2026-03-02T12:02:00Z' } })).to.deep.equal({ kind: 'terminate', deadline: T0 + 120 * S, source: 'node-scaler.io/interruption-deadline', provider: 'other' });
      expect(detectInterruption({ ...base, annotations: { 'gpu-autoscaler.io/spot-interruption-warning': 'true', 'gpu-autoscaler.io/spot-termination-time': '2026-03-02T12:01:00Z' } })!.deadline).to.equal(T0 + 60 * S);
      expect(detectInterruption(base)).to.equal(undefined);
    });

    it('reads the capacity type in the documented order', () => {
      expect(detectCapacityType({ 'node-scaler.io/tier': 'reserved', 'karpenter.sh/capacity-type': 'spot' })).to.equal('reserved');
      expect(detectCapacityType({ 'karpenter.sh/capacity-type': 'on-demand' })).to.equal('onDemand');
      expect(detectCapacityType({ 'eks.amazonaws.com/capacityType': 'SPOT' })).to.equal('spot');
      expect(detectCapacityType({ 'cloud.google.com/gke-spot': 'true' })).to.equal('spot');
      expect(detectCapacityType({ 'kubernetes.azure.com/scalesetpriority': 'spot' })).to.equal('spot');
      expect(detectCapacityType({})).to.equal(undefined);
    });
  });

  it('warns when no other pool can take the displaced pods', () => {
    const plan = run({ config: config({}, [rawPool('spot-a', 'spot', { max: 5 })]), ...interrupted() });
    expect(plan.events.some((e) => e.reason === 'NoReplacement')).to.equal(true);
  });
});
