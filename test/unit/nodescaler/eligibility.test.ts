import { expect } from 'chai';
import { MIN, S, T0, baseNodes, config, node, pendingPod, poolPlan, rawPool, run, runningPod, verdictOf } from './fixtures.js';

describe('node-scaler §4.1 pending GPU pod eligibility', () => {
  const at = (pendingMs: number, over = {}) => run({ nodes: baseNodes(), pods: [pendingPod('p', { unschedulableSince: T0 - pendingMs, ...over })] });

  it('waits T_pend (30 s) before asking for a node: 29.999 s waits, 30 s asks', () => {
    const early = at(30 * S - 1);
    expect(verdictOf(early, 'p').status).to.equal('waiting');
    expect(verdictOf(early, 'p').reason).to.match(/< 30s/);
    expect(early.summary.newNodes).to.equal(0);
    expect(verdictOf(at(30 * S), 'p').status).to.equal('scale-up');
  });

  it('honours node-scaler.io/pending-delay per pod (45s, 2m, bare seconds)', () => {
    const ann = (v: string) => ({ annotations: { 'node-scaler.io/pending-delay': v } });
    expect(verdictOf(at(45 * S - 1, ann('45s')), 'p').status).to.equal('waiting');
    expect(verdictOf(at(45 * S, ann('45s')), 'p').status).to.equal('scale-up');
    expect(verdictOf(at(2 * MIN - 1, ann('2m')), 'p').status).to.equal('waiting');
    expect(verdictOf(at(10 * S, ann('10')), 'p').status).to.equal('scale-up');
    // An unreadable value falls back to the default rather than disabling the delay.
    expect(verdictOf(at(29 * S, ann('soon')), 'p').status).to.equal('waiting');
  });

  it('treats pods below the expendable cutoff (−10) as ignorable: −10 asks, −11 does not', () => {
    expect(verdictOf(at(MIN, { priority: -10 }), 'p').status).to.equal('scale-up');
    const plan = at(MIN, { priority: -11 });
    expect(verdictOf(plan, 'p')).to.include({ status: 'ignored' });
    expect(verdictOf(plan, 'p').reason).to.match(/expendable/);
  });

  const ignored: Array<[string, object, RegExp]> = [
    ['nominated pods (waiting on preemption)', { nominatedNodeName: 'n1' }, /nominated/],
    ['pods with scheduling gates', { schedulingGated: true }, /gates/],
    ['DaemonSet pods', { owner: { kind: 'DaemonSet', name: 'ds', controller: true } }, /DaemonSet/],
    ['pods being deleted', { terminating: true }, /deleted/],
  ];
  for (const [name, over, reason] of ignored) {
    it(`ignores ${name}`, () => {
      const plan = at(MIN, over);
      expect(verdictOf(plan, 'p').status).to.equal('ignored');
      expect(verdictOf(plan, 'p').reason).to.match(reason);
      expect(plan.summary.newNodes).to.equal(0);
    });
  }

  it('waits for the scheduler to mark the pod Unschedulable', () => {
    const plan = run({ nodes: baseNodes(), pods: [pendingPod('p', { unschedulableSince: undefined })] });
    expect(verdictOf(plan, 'p').status).to.equal('waiting');
  });

  it('does not report pending pods that request no GPU', () => {
    const plan = run({ nodes: baseNodes(), pods: [pendingPod('cpu', { requests: { cpu: 2 } })] });
    expect(plan.pods).to.deep.equal([]);
  });

  it('places MIG requests on a pool that offers that MIG profile', () => {
    const pools = [
      rawPool('full', 'onDemand'),
      rawPool('mig', 'onDemand', { gpuResource: 'nvidia.com/mig-1g.10gb', slotsPerGpu: 7, pricePerHour: 30, onDemandReferencePrice: 30 }),
    ];
    const plan = run({ config: config({}, pools), pods: [pendingPod('m', { requests: { 'nvidia.com/mig-1g.10gb': 3 } })] });
    expect(verdictOf(plan, 'm')).to.include({ status: 'scale-up', pool: 'mig' });
    expect(poolPlan(plan, 'full').newNodes).to.equal(0);
  });

  it('packs MIG slices: 56 slices per 8-GPU node', () => {
    const pools = [rawPool('mig', 'onDemand', { gpuResource: 'nvidia.com/mig-1g.10gb', slotsPerGpu: 7 })];
    const pods = Array.from({ length: 8 }, (_, i) => pendingPod(`m${i}`, { requests: { 'nvidia.com/mig-1g.10gb': 7 } }));
    const plan = run({ config: config({}, pools), pods });
    expect(poolPlan(plan, 'mig').newNodes).to.equal(1);
    const plan2 = run({ config: config({}, pools), pods: [...pods, pendingPod('m8', { requests: { 'nvidia.com/mig-1g.10gb': 1 } })] });
    expect(poolPlan(plan2, 'mig').newNodes).to.equal(2);
  });

  it('reports unsatisfiable MIG requests: no pool offers the profile, or several kinds at once', () => {
    const plan = run({
      nodes: baseNodes(),
      pods: [pendingPod('m', { requests: { 'nvidia.com/mig-3g.40gb': 1 } }), pendingPod('mixed', { requests: { 'nvidia.com/gpu': 1, 'nvidia.com/mig-1g.10gb': 1 } })],
    });
    expect(verdictOf(plan, 'm')).to.include({ status: 'unsatisfiable', reason: 'no pool offers nvidia.com/mig-3g.40gb' });
    expect(verdictOf(plan, 'mixed').status).to.equal('unsatisfiable');
    expect(verdictOf(plan, 'mixed').reason).to.match(/several GPU resource kinds/);
  });

  it('matches pods to pools by node selector, required affinity and tolerations', () => {
    const pools = [
      rawPool('a100', 'onDemand', { labels: { 'nvidia.com/gpu.product': 'A100' } }),
      rawPool('h100', 'onDemand', { gpuModel: 'H100', labels: { 'nvidia.com/gpu.product': 'H100' }, taints: [{ key: 'dedicated', value: 'llm', effect: 'NoSchedule' }] }),
    ];
    const cfg = config({}, pools);
    const selectH100 = { nodeSelector: { 'nvidia.com/gpu.product': 'H100' } };
    const tolerate = { tolerations: [{ key: 'dedicated', operator: 'Equal' as const, value: 'llm', effect: 'NoSchedule' as const }] };
    const plan = run({
      config: cfg,
      pods: [
        pendingPod('untolerated', selectH100),
        pendingPod('ok', { ...selectH100, ...tolerate }),
        pendingPod('affinity', { requiredNodeAffinity: [[{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['A100'] }]] }),
        pendingPod('nowhere', { requiredNodeAffinity: [[{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['B200'] }]] }),
      ],
    });
    expect(verdictOf(plan, 'untolerated').status).to.equal('unsatisfiable');
    expect(verdictOf(plan, 'untolerated').reason).to.match(/node selector, affinity and tolerations/);
    expect(verdictOf(plan, 'ok')).to.include({ status: 'scale-up', pool: 'h100' });
    expect(verdictOf(plan, 'affinity')).to.include({ status: 'scale-up', pool: 'a100' });
    expect(verdictOf(plan, 'nowhere').status).to.equal('unsatisfiable');
  });

  it('uses precomputed compatiblePools when the snapshot builder gives them', () => {
    const plan = run({ nodes: baseNodes(), pods: [pendingPod('p', { compatiblePools: ['spot-b'] })] });
    expect(verdictOf(plan, 'p')).to.include({ status: 'scale-up', pool: 'spot-b' });
  });

  it('ignores terminal pods entirely', () => {
    const plan = run({ nodes: [node('od-1', 'od', { gpuAllocated: 0 })], pods: [runningPod('done', 'od-1', 8, { phase: 'Succeeded' })] });
    expect(plan.nodes[0]!.reason).to.match(/^no GPU allocated; unneeded for 0s of 600s/);
  });
});
