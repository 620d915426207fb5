import { expect } from 'chai';
import type { ActuatorObservation } from '../../../../src/nodescaler/cluster/contracts.js';
import { buildSnapshot, pdbInfo, type SnapshotInput } from '../../../../src/nodescaler/cluster/snapshot-builder.js';
import { parseNodeScalerConfig } from '../../../../src/nodescaler/config.js';
import { decide } from '../../../../src/nodescaler/decide.js';
import { emptyState } from '../../../../src/nodescaler/state.js';
import { iso, node, pdb, pod, T0 } from './objects.js';

const rawPool = (name: string, over: Record<string, unknown> = {}) => ({
  name, tier: 'spot', gpuModel: 'A100', gpusPerNode: 8, pricePerHour: 10, onDemandReferencePrice: 30, max: 10,
  actuator: { kind: 'clusterApi', namespace: 'capi', name }, ...over,
});
const config = parseNodeScalerConfig({ pools: [rawPool('a', { labels: { pool: 'a' } }), rawPool('mig', { gpuResource: 'nvidia.com/mig-1g.10gb', slotsPerGpu: 7 }), rawPool('unobserved')] });

function input(over: Partial<SnapshotInput> = {}): SnapshotInput {
  const observations = new Map<string, ActuatorObservation>([
    ['a', { desired: 3, nodes: ['a-1'], capacityFailure: { at: T0 - 5_000, reason: 'InsufficientInstanceCapacity' } }],
    ['mig', { desired: 1, nodes: ['mig-1'] }],
  ]);
  const nodes = [
    node('a-1', { gpus: '8' }),
    node('a-2', { gpus: '0', labels: { pool: 'a', 'nvidia.com/gpu.present': 'true' } }),
    node('mig-1', { gpus: '8' }, (n) => { n.status!.allocatable!['nvidia.com/mig-1g.10gb'] = '56'; }),
    node('other', { gpus: '8' }),
  ];
  const pods = [
    pod('train-0', { node: 'a-1', gpus: 4, labels: { app: 'train' } }),
    pod('train-1', { node: 'a-1', gpus: 2, labels: { app: 'train' } }),
    pod('done', { node: 'a-1', gpus: 2, phase: 'Succeeded' }),
    pod('web', { node: 'a-1' }),
    pod('slice', { node: 'mig-1' }, (p) => { p.spec!.containers[0]!.resources = { requests: { 'nvidia.com/mig-1g.10gb': '3', 'nvidia.com/gpu': '1' } }; }),
    pod('wait', { gpus: 8 }, (p) => { p.status!.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: iso(T0 - 60_000) as unknown as Date }]; }),
  ];
  const pdbs = [pdb('train', { matchLabels: { app: 'train' } }, 'ml', 1), pdb('fresh', {}, 'ml')];
  return {
    now: T0, config, state: emptyState(), objects: { pods, nodes, pdbs }, observations,
    dcgm: (n) => (n === 'a-1' ? { util: 0.5, ageSeconds: 4 } : undefined),
    ...over,
  };
}

describe('node-scaler cluster: buildSnapshot', () => {
  it('reports observed pools with registered Node counts; an unobserved pool is left out', () => {
    const snap = buildSnapshot(input());
    expect(snap.pools).to.deep.equal([
      { name: 'a', desired: 3, registered: 2, capacityFailure: { at: T0 - 5_000, reason: 'InsufficientInstanceCapacity' } },
      { name: 'mig', desired: 1, registered: 1 },
    ]);
    expect(snap.now).to.equal(T0);
    expect(snap.config).to.equal(config);
  });

  it('assigns pools and sums GPU requests of the pool’s resource over non-terminal bound pods', () => {
    const nodes = new Map(buildSnapshot(input()).nodes.map((n) => [n.name, n]));
    expect(nodes.get('a-1')).to.include({ pool: 'a', gpuAllocatable: 8, gpuAllocated: 6 });
    expect(nodes.get('a-2')).to.include({ pool: 'a', gpuAllocatable: 0, gpuAllocated: 0, acceleratorLabel: true });
    expect(nodes.get('mig-1')).to.include({ pool: 'mig', gpuAllocatable: 56, gpuAllocated: 3 });
    expect(nodes.get('other')).to.not.have.property('pool');
  });

  it('keeps unknown DCGM absent, never 0', () => {
    const nodes = new Map(buildSnapshot(input()).nodes.map((n) => [n.name, n]));
    expect(nodes.get('a-1')?.dcgm).to.deep.equal({ util: 0.5, ageSeconds: 4 });
    expect(nodes.get('a-2')).to.not.have.property('dcgm');
  });

  it('converts non-terminal pods and links them to their PDBs', () => {
    const snap = buildSnapshot(input());
    expect(snap.pods.map((p) => p.name)).to.deep.equal(['train-0', 'train-1', 'web', 'slice', 'wait']);
    expect(snap.pods.find((p) => p.name === 'train-0')?.pdbs).to.deep.equal(['ml/train', 'ml/fresh']);
    expect(snap.pods.find((p) => p.name === 'web')?.pdbs).to.deep.equal(['ml/fresh']);
    expect(snap.pods.find((p) => p.name === 'wait')).to.include({ unschedulableSince: T0 - 60_000 });
    expect(snap.pdbs).to.deep.equal([{ namespace: 'ml', name: 'train', disruptionsAllowed: 1 }, { namespace: 'ml', name: 'fresh', disruptionsAllowed: 0 }]);
  });

  it('a PDB whose status is missing or older than its spec allows no disruption', () => {
    const stale = pdb('s', {}, 'ml', 3);
    stale.metadata!.generation = 2;
    expect(pdbInfo(stale)).to.deep.equal({ namespace: 'ml', name: 's', disruptionsAllowed: 0 });
    expect(pdbInfo(pdb('none', {}))?.disruptionsAllowed).to.equal(0);
  });

  it('passes prewarm targets and state through, and decide() accepts the result', () => {
    const prewarm = [{ className: 'A100', pools: ['a'], gpus: 8, until: T0 + 60_000, reason: 'test' }];
    const snap = buildSnapshot(input({ prewarm }));
    expect(snap.prewarm).to.equal(prewarm);
    const plan = decide(snap);
    expect(plan.pods.find((p) => p.name === 'wait')?.status).to.be.a('string');
  });

  it('does not depend on node or pod order beyond keeping it', () => {
    const a = input();
    const b = input({ objects: { ...a.objects, nodes: [...a.objects.nodes].reverse() } });
    const byName = (s: ReturnType<typeof buildSnapshot>) => [...s.nodes].sort((x, y) => x.name.localeCompare(y.name));
    expect(byName(buildSnapshot(b))).to.deep.equal(byName(buildSnapshot(a)));
  });
});
