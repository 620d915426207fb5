import { expect } from 'chai';
import { emptyPoolMemory, emptyState } from '../../../src/nodescaler/state.js';
import { S, T0, baseNodes, config, node, pendingPod, poolPlan, rawPool, run, standardPools, verdictOf } from './fixtures.js';

const gpuPod = (name: string, gpus: number, over = {}) => pendingPod(name, { requests: { 'nvidia.com/gpu': gpus }, ...over });

describe('node-scaler §4.4 scale-up allocation', () => {
  it('fills reserved capacity within the commitment first, even when spot is cheaper per GPU', () => {
    const pools = standardPools();
    pools[0] = rawPool('res', 'reserved', { min: 1, commitment: 2, max: 3 });
    const plan = run({ config: config({}, pools), nodes: baseNodes(), pods: [gpuPod('a', 8), gpuPod('b', 8)] });
    expect(verdictOf(plan, 'a')).to.include({ status: 'scale-up', pool: 'res' });
    // The commitment is full now: reserved overflow ranks with on-demand, so spot comes next.
    expect(verdictOf(plan, 'b')).to.include({ status: 'scale-up', pool: 'spot-a' });
  });

  it('then spot under the cap (0.6 exactly is allowed), then on-demand', () => {
    const nodes = [...baseNodes(), node('spot-a-1', 'spot-a'), node('spot-a-2', 'spot-a')];
    const plan = run({ nodes, pods: [gpuPod('a', 8), gpuPod('b', 8)] });
    expect(verdictOf(plan, 'a')).to.include({ status: 'scale-up', pool: 'spot-a' });
    expect(plan.pods.find((p) => p.name === 'a')!.skipped).to.equal(undefined);
    const b = verdictOf(plan, 'b');
    expect(b).to.include({ status: 'scale-up', pool: 'od' });
    expect(b.skipped!.map((s) => s.why)).to.deep.equal(['spot share cap 0.60 reached', 'spot share cap 0.60 reached']);
    expect(plan.summary.spotShare).to.be.closeTo(24 / 48, 1e-9);
  });

  it('orders spot pools by price per GPU, not per node', () => {
    const pools = [...standardPools(), rawPool('spot-small', 'spot', { gpusPerNode: 4, pricePerHour: 5, onDemandReferencePrice: 16 })];
    const plan = run({ config: config({ spot: { maxShare: 1 } }, pools), nodes: baseNodes(), pods: [gpuPod('a', 2)] });
    expect(verdictOf(plan, 'a').pool).to.equal('spot-small');
  });

  it('breaks price ties by least waste, then weight, then name', () => {
    const pools = [
      rawPool('big', 'onDemand', { gpusPerNode: 8, pricePerHour: 32 }),
      rawPool('small', 'onDemand', { gpusPerNode: 4, pricePerHour: 16, onDemandReferencePrice: 16 }),
      rawPool('twin-a', 'spot', { pricePerHour: 12 }),
      rawPool('twin-b', 'spot', { pricePerHour: 12, weight: 10 }),
    ];
    const cfg = config({ spot: { maxShare: 1 } }, pools);
    const onDemandOnly = { annotations: { 'node-scaler.io/tier': 'on-demand' } };
    const plan = run({ config: cfg, pods: [gpuPod('four', 4, onDemandOnly), gpuPod('eight', 8, onDemandOnly), gpuPod('spot', 8)] });
    expect(verdictOf(plan, 'four').pool).to.equal('small');
    expect(verdictOf(plan, 'eight').pool).to.equal('big');
    expect(verdictOf(plan, 'spot').pool).to.equal('twin-b');
    const noWeight = config({ spot: { maxShare: 1 } }, [rawPool('twin-b', 'spot'), rawPool('twin-a', 'spot')]);
    expect(verdictOf(run({ config: noWeight, pods: [gpuPod('x', 8)] }), 'x').pool).to.equal('twin-a');
  });

  it('packs planned nodes first-fit decreasing: eight 1-GPU pods make one node', () => {
    const pods = Array.from({ length: 8 }, (_, i) => gpuPod(`p${i}`, 1));
    const plan = run({ nodes: baseNodes(), pods });
    expect(plan.summary.newNodes).to.equal(1);
    const mixed = [gpuPod('a', 5), gpuPod('b', 4), gpuPod('c', 3), gpuPod('d', 3), gpuPod('e', 1)];
    // FFD: [5,3] [4,3,1] → two nodes.
    expect(run({ nodes: baseNodes(), pods: mixed }).summary.newNodes).to.equal(2);
  });

  it('never exceeds a pool max and explains an unsatisfiable pod', () => {
    const pools = [rawPool('res', 'reserved', { commitment: 1, min: 1, max: 1 }), rawPool('spot-a', 'spot', { max: 0 }), rawPool('od', 'onDemand', { max: 1 })];
    const plan = run({ config: config({}, pools), nodes: baseNodes(), pods: [gpuPod('p', 8)] });
    const v = verdictOf(plan, 'p');
    expect(v.status).to.equal('unsatisfiable');
    expect(v.skipped!.map((s) => `${s.pool}: ${s.why}`)).to.have.members(['spot-a: at max (0 nodes)', 'od: at max (1 nodes)', 'res: at max (1 nodes)']);
    expect(plan.events.some((e) => e.reason === 'NotTriggerScaleUp' && e.involved.name === 'p')).to.equal(true);
  });

  it('reports a pod larger than any node', () => {
    const v = verdictOf(run({ nodes: baseNodes(), pods: [gpuPod('huge', 16)] }), 'huge');
    expect(v.status).to.equal('unsatisfiable');
    expect(v.reason).to.match(/needs 16 nvidia.com\/gpu on one node; a node offers 8/);
  });

  describe('per-tick limit: max(10, 25 % of the pool)', () => {
    const onePool = (max = 200) => config({}, [rawPool('od', 'onDemand', { max })]);
    const nodes = (n: number) => Array.from({ length: n }, (_, i) => node(`od-${i}`, 'od'));
    const pods = (n: number) => Array.from({ length: n }, (_, i) => gpuPod(`p${i}`, 8));
    const cases: Array<[number, number]> = [
      [0, 10],
      [40, 10],
      [41, 11],
      [60, 15],
    ];
    for (const [size, limit] of cases) {
      it(`a pool of ${size} nodes takes ${limit} new nodes per tick`, () => {
        const plan = run({ config: onePool(), nodes: nodes(size), pods: pods(limit + 2) });
        expect(poolPlan(plan, 'od').newNodes).to.equal(limit);
        expect(plan.summary.deferred).to.equal(2);
      });
    }

    it('lets a sibling pool of the same tier take the overflow, but never a dearer tier', () => {
      const cfg = config({ scaleUp: { maxNodesPerTick: 1, maxNodesPerTickFraction: 0 }, spot: { maxShare: 1 } });
      const plan = run({ config: cfg, nodes: baseNodes(), pods: [gpuPod('a', 8), gpuPod('b', 8), gpuPod('c', 8)] });
      expect(plan.pods.map((p) => p.pool)).to.deep.equal(['spot-a', 'spot-b', undefined]);
      expect(verdictOf(plan, 'c').status).to.equal('deferred');
      expect(poolPlan(plan, 'od').newNodes).to.equal(0);
    });
  });

  it('keeps pods annotated node-scaler.io/tier=on-demand off spot', () => {
    const plan = run({ nodes: baseNodes(), pods: [gpuPod('p', 8, { annotations: { 'node-scaler.io/tier': 'on-demand' } })] });
    expect(verdictOf(plan, 'p').pool).to.equal('od');
  });

  it('keeps high-band pods off spot when spot.protectHighFromSpot is set', () => {
    const high = { annotations: { 'gpu-autoscaler.io/eviction-priority': 'high' } };
    expect(verdictOf(run({ nodes: baseNodes(), pods: [gpuPod('p', 8, high)] }), 'p').pool).to.equal('spot-a');
    const cfg = config({ spot: { protectHighFromSpot: true } });
    expect(verdictOf(run({ config: cfg, nodes: baseNodes(), pods: [gpuPod('p', 8, high)] }), 'p').pool).to.equal('od');
  });

  it('has no scale-up cooldown by default; a configured one defers at its edge', () => {
    const st = (ago: number) => {
      const s = emptyState();
      s.pools['spot-a'] = { ...emptyPoolMemory(), lastScaleUpAt: T0 - ago };
      return s;
    };
    expect(verdictOf(run({ nodes: baseNodes(), pods: [gpuPod('p', 8)], state: st(0) }), 'p').pool).to.equal('spot-a');
    const cfg = config({ scaleUp: { cooldownSeconds: 60 } });
    const cooling = run({ config: cfg, nodes: baseNodes(), pods: [gpuPod('p', 8)], state: st(59 * S) });
    expect(verdictOf(cooling, 'p').pool).to.equal('spot-b');
    expect(verdictOf(run({ config: cfg, nodes: baseNodes(), pods: [gpuPod('p', 8)], state: st(60 * S) }), 'p').pool).to.equal('spot-a');
  });

  it('serves higher priority first when capacity is short', () => {
    const cfg = config({}, [rawPool('od', 'onDemand', { max: 1 })]);
    const plan = run({ config: cfg, pods: [gpuPod('low', 8, { uid: 'a' }), gpuPod('high', 8, { uid: 'b', priority: 100 })] });
    expect(verdictOf(plan, 'high').status).to.equal('scale-up');
    expect(verdictOf(plan, 'low').status).to.equal('unsatisfiable');
  });

  it('records the request with its timestamp so the next tick does not ask again', () => {
    const plan = run({ nodes: baseNodes(), pods: [gpuPod('p', 8)] });
    expect(plan.state.pools['spot-a']!.requests).to.deep.equal([{ nodes: 1, at: T0 }]);
    expect(plan.state.pools['spot-a']!.lastScaleUpAt).to.equal(T0);
    const next = run({ now: T0 + 10 * S, nodes: baseNodes(), pods: [gpuPod('p', 8)], state: plan.state, pools: { 'spot-a': { desired: 1, registered: 0 } } });
    expect(verdictOf(next, 'p').status).to.equal('absorbed');
    expect(next.summary.newNodes).to.equal(0);
  });

  it('raises a pool to its min and a reserved pool to its commitment', () => {
    const pools = [rawPool('res', 'reserved', { min: 0, commitment: 2, max: 3 }), rawPool('od', 'onDemand', { min: 1 })];
    const plan = run({ config: config({}, pools) });
    expect(poolPlan(plan, 'res')).to.include({ desired: 2, newNodes: 2 });
    expect(poolPlan(plan, 'od')).to.include({ desired: 1, newNodes: 1 });
    expect(poolPlan(plan, 'res').reasons[0]).to.equal('+2 node(s): floor (min / commitment)');
  });
});
