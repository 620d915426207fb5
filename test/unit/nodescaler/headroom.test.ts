import { expect } from 'chai';
import { emptyState } from '../../../src/nodescaler/state.js';
import { S, T0, config, node, pendingPod, poolPlan, rawPool, run } from './fixtures.js';

// One shared pool: 8 GPUs × 4 time-slicing replicas = 32 slots per node.
const sharedPools = () => [rawPool('ts', 'onDemand', { shared: true, slotsPerGpu: 4 })];
const tsNode = (name: string, allocated: number, util = 0.5) => node(name, 'ts', { gpuAllocatable: 32, gpuAllocated: allocated, dcgm: { util, ageSeconds: 5 } });

function highSince(ago: number) {
  const st = emptyState();
  st.headroomHighSince['A100/nvidia.com/gpu'] = T0 - ago;
  return st;
}

describe('node-scaler §4.5 utilisation headroom', () => {
  it('adds ceil((ΣU/0.7 − ΣA)/g) nodes once ρ > 0.8 has held for 3 min', () => {
    // ρ = 58/64 = 0.906 → need 58/0.7 − 64 = 18.9 slots → 1 node of 32.
    const nodes = [tsNode('ts-1', 29), tsNode('ts-2', 29)];
    const cfg = config({}, sharedPools());
    const first = run({ config: cfg, nodes });
    expect(first.state.headroomHighSince['A100/nvidia.com/gpu']).to.equal(T0);
    expect(first.summary.newNodes).to.equal(0);
    expect(poolPlan(run({ config: cfg, nodes, state: highSince(180 * S - 1) }), 'ts').newNodes).to.equal(0);
    const plan = run({ config: cfg, nodes, state: highSince(180 * S) });
    expect(poolPlan(plan, 'ts').newNodes).to.equal(1);
    expect(poolPlan(plan, 'ts').reasons[0]).to.equal('+1 node(s): headroom for A100/nvidia.com/gpu');
  });

  it('does nothing at ρ = 0.8 exactly, and clears the timer', () => {
    // 128 of 160 slots.
    const nodes = [tsNode('ts-1', 26), tsNode('ts-2', 26), tsNode('ts-3', 26), tsNode('ts-4', 25), tsNode('ts-5', 25)];
    const plan = run({ config: config({}, sharedPools()), nodes, state: highSince(600 * S) });
    expect(plan.summary.newNodes).to.equal(0);
    expect(plan.state.headroomHighSince).to.deep.equal({});
  });

  it('waits while eligible pods are pending (scale-up handles them)', () => {
    const nodes = [tsNode('ts-1', 32), tsNode('ts-2', 32)];
    const plan = run({ config: config({}, sharedPools()), nodes, pods: [pendingPod('p', { requests: { 'nvidia.com/gpu': 40 } })], state: highSince(600 * S) });
    expect(plan.pods[0]!.status).to.equal('unsatisfiable');
    expect(poolPlan(plan, 'ts').newNodes).to.equal(0);
  });

  it('counts in-flight nodes so it does not ask twice', () => {
    const plan = run({ config: config({}, sharedPools()), nodes: [tsNode('ts-1', 29), tsNode('ts-2', 29)], state: highSince(600 * S), pools: { ts: { desired: 3, registered: 2 } } });
    expect(plan.summary.newNodes).to.equal(0);
  });

  it('on shared pools a known DCGM mean above 0.9 counts as saturated', () => {
    const nodes = [tsNode('ts-1', 16, 0.95), tsNode('ts-2', 16, 0.95)];
    expect(run({ config: config({}, sharedPools()), nodes, state: highSince(180 * S) }).summary.newNodes).to.equal(1);
    const calm = [tsNode('ts-1', 16, 0.9), tsNode('ts-2', 16, 0.9)];
    expect(run({ config: config({}, sharedPools()), nodes: calm, state: highSince(180 * S) }).summary.newNodes).to.equal(0);
  });

  it('never grows exclusive-GPU pools on utilisation unless headroom.enabled', () => {
    const pools = [rawPool('od', 'onDemand')];
    const nodes = [node('od-1', 'od', { dcgm: { util: 1, ageSeconds: 1 } }), node('od-2', 'od', { dcgm: { util: 1, ageSeconds: 1 } })];
    expect(run({ config: config({}, pools), nodes, state: highSince(3600 * S) }).summary.newNodes).to.equal(0);
    const enabled = config({ headroom: { enabled: true } }, pools);
    const st = emptyState();
    st.headroomHighSince['A100/nvidia.com/gpu'] = T0 - 180 * S;
    // ρ = 1 → 16/0.7 − 16 = 6.9 slots → 1 node; DCGM alone would not count for exclusive GPUs.
    expect(run({ config: enabled, nodes, state: st }).summary.newNodes).to.equal(1);
  });
});
