import { expect } from 'chai';
import { T0, baseNodes, node, pendingPod, poolPlan, run, verdictOf } from './fixtures.js';

const eightGpuPods = (n: number, prefix = 'p') => Array.from({ length: n }, (_, i) => pendingPod(`${prefix}${i}`, { requests: { 'nvidia.com/gpu': 8 } }));

describe('node-scaler §4.2 capacity accounting', () => {
  it('counts a ready node without GPUs yet (device plugin starting) as upcoming, not free', () => {
    const plan = run({
      nodes: [...baseNodes(), node('spot-a-1', 'spot-a', { gpuAllocatable: 0, gpuAllocated: 0, createdAt: T0 - 60_000 })],
      pods: eightGpuPods(1),
    });
    expect(verdictOf(plan, 'p0')).to.include({ status: 'absorbed', pool: 'spot-a', node: 'spot-a-1' });
    expect(plan.summary.newNodes).to.equal(0);
    expect(plan.nodes.find((n) => n.name === 'spot-a-1')!.status).to.equal('upcoming');
  });

  it('needs the accelerator label to treat a GPU-less node as upcoming', () => {
    const plan = run({
      nodes: [...baseNodes(), node('spot-a-1', 'spot-a', { gpuAllocatable: 0, gpuAllocated: 0, acceleratorLabel: false })],
      pods: eightGpuPods(1),
    });
    expect(verdictOf(plan, 'p0').status).to.equal('scale-up');
  });

  it('places pending pods on requested-but-unregistered nodes before asking again (no double scale-up)', () => {
    const nodes = baseNodes();
    const pools = { 'spot-a': { desired: 2, registered: 0 } };
    const two = run({ nodes, pods: eightGpuPods(2), pools });
    expect(two.pods.map((p) => p.status)).to.deep.equal(['absorbed', 'absorbed']);
    expect(two.summary.newNodes).to.equal(0);
    const three = run({ nodes, pods: eightGpuPods(3), pools });
    expect(three.pods.filter((p) => p.status === 'absorbed')).to.have.length(2);
    expect(three.summary.newNodes).to.equal(1);
  });

  it('packs small pods into in-flight nodes first-fit decreasing', () => {
    const pods = [pendingPod('a', { requests: { 'nvidia.com/gpu': 4 } }), pendingPod('b', { requests: { 'nvidia.com/gpu': 2 } }), pendingPod('c', { requests: { 'nvidia.com/gpu': 2 } }), pendingPod('d', { requests: { 'nvidia.com/gpu': 1 } })];
    const plan = run({ nodes: baseNodes(), pods, pools: { 'spot-a': { desired: 1, registered: 0 } } });
    expect(plan.pods.filter((p) => p.status === 'absorbed').map((p) => p.name)).to.deep.equal(['a', 'b', 'c']);
    expect(verdictOf(plan, 'd').status).to.equal('scale-up');
  });

  it('leaves a pod that fits free GPU slots of a ready node to the scheduler', () => {
    const plan = run({ nodes: [node('res-1', 'res', { gpuAllocated: 6 }), node('od-1', 'od')], pods: [pendingPod('p', { requests: { 'nvidia.com/gpu': 2 } })] });
    expect(verdictOf(plan, 'p')).to.include({ status: 'fits-existing', node: 'res-1' });
    expect(plan.summary.newNodes).to.equal(0);
  });

  it('does not count cordoned, interrupted or draining nodes as free capacity', () => {
    const plan = run({
      nodes: [
        node('res-1', 'res', { gpuAllocated: 0, unschedulable: true }),
        node('od-1', 'od', { gpuAllocated: 0, interruption: { kind: 'terminate', source: 'test', provider: 'aws' } }),
        node('od-2', 'od', { gpuAllocated: 0, taints: [{ key: 'node-scaler.io/draining', value: String(T0 / 1000), effect: 'NoSchedule' }] }),
      ],
      pods: [pendingPod('p')],
    });
    expect(verdictOf(plan, 'p').status).to.equal('scale-up');
  });

  it('reports the allocation ratio ρ over ready, schedulable, non-interrupted GPU nodes', () => {
    const plan = run({
      nodes: [node('res-1', 'res', { gpuAllocated: 6 }), node('od-1', 'od', { gpuAllocated: 2 }), node('od-2', 'od', { gpuAllocated: 8, unschedulable: true })],
    });
    expect(plan.summary.allocationRatio).to.equal(0.5);
  });

  it('keeps in-flight accounting per pool: a spot request does not absorb a pod pinned to on-demand', () => {
    const plan = run({
      nodes: baseNodes(),
      pods: [pendingPod('p', { requests: { 'nvidia.com/gpu': 8 }, annotations: { 'node-scaler.io/tier': 'on-demand' } })],
      pools: { 'spot-a': { desired: 1, registered: 0 } },
    });
    expect(verdictOf(plan, 'p')).to.include({ status: 'scale-up', pool: 'od' });
    expect(poolPlan(plan, 'spot-a').desired).to.equal(1);
  });
});
