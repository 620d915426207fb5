import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DemandHistory } from '../../../../src/nodescaler/cluster/demand-history.js';
import { gpuClasses, prewarmTargets, recordDemand } from '../../../../src/nodescaler/cluster/prewarm-targets.js';
import { decide } from '../../../../src/nodescaler/decide.js';
import { emptyState } from '../../../../src/nodescaler/state.js';
import type { Snapshot } from '../../../../src/nodescaler/types.js';
import { config, HOUR, MIN, node, rawPool, T0 } from '../fixtures.js';

const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

describe('node-scaler demand history and pre-warm targets', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ama-history-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps one sample per 5 minutes holding the maximum, and only the lookback', () => {
    const h = new DemandHistory(28);
    h.record('A100', T0, 4);
    h.record('A100', T0 + 1 * MIN, 9);
    h.record('A100', T0 + 2 * MIN, 3);
    h.record('A100', T0 + 5 * MIN, 2);
    expect(h.samples('A100').map((s) => s.gpus)).to.deep.equal([9, 2]);
    h.record('A100', T0 + 29 * DAY, 1);
    expect(h.samples('A100').map((s) => s.gpus)).to.deep.equal([1]);
    expect(h.samples('H100')).to.deep.equal([]);
  });

  it('survives a restart through its file, and names a corrupt file', () => {
    const file = join(dir, 'sub', 'history.json');
    const h = new DemandHistory(28, file);
    h.record('A100', T0, 16);
    h.save();
    const again = new DemandHistory(28, file);
    again.load();
    expect(again.samples('A100')).to.deep.equal([{ at: T0, gpus: 16 }]);
    writeFileSync(file, JSON.stringify({ version: 2 }));
    expect(() => new DemandHistory(28, file).load()).to.throw(file);
    expect(readFileSync(file, 'utf8')).to.contain('version');
  });

  it('a missing file is an empty history', () => {
    const h = new DemandHistory(28, join(dir, 'none.json'));
    h.load();
    expect(h.samples('A100')).to.deep.equal([]);
  });

  it('groups pools of one GPU model and resource into a class, any tier', () => {
    const cfg = config({}, [rawPool('spot-a', 'spot'), rawPool('od', 'onDemand'), rawPool('h100', 'onDemand', { gpuModel: 'H100' })]);
    const classes = gpuClasses(cfg);
    expect([...classes.keys()]).to.deep.equal(['A100/nvidia.com/gpu', 'H100/nvidia.com/gpu']);
    expect(classes.get('A100/nvidia.com/gpu')!.map((p) => p.name)).to.deep.equal(['spot-a', 'od']);
  });

  it('four weeks of a Monday-noon peak pre-warm the class before noon; disabled, nothing', () => {
    const pools = [rawPool('od', 'onDemand')];
    const cfg = config({ predictive: { enabled: true } }, pools);
    const h = new DemandHistory(28);
    for (let w = 4; w >= 1; w--) h.record('A100/nvidia.com/gpu', T0 - w * WEEK + 10 * MIN, 32);
    const snap: Snapshot = { now: T0 - 20 * MIN, config: cfg, pools: [{ name: 'od', desired: 1, registered: 1 }], nodes: [node('n1', 'od', { gpuAllocated: 0 })], pods: [], pdbs: [], state: emptyState() };
    const { targets, forecasts } = prewarmTargets(h, snap);
    expect(forecasts).to.have.length(1);
    expect(forecasts[0]).to.include({ predictedGpus: 32, confidence: 1 });
    expect(targets).to.have.length(1);
    expect(targets[0]).to.include({ className: 'A100/nvidia.com/gpu', gpus: 32 });
    expect(prewarmTargets(h, { ...snap, config: config({}, pools) })).to.deep.equal({ targets: [], forecasts: [] });
  });

  it('records allocated GPUs plus pending pods placed in the class', () => {
    const cfg = config({ pendingDelaySeconds: 0 }, [rawPool('od', 'onDemand')]);
    const snap: Snapshot = {
      now: T0, config: cfg, pools: [{ name: 'od', desired: 1, registered: 1 }], nodes: [node('n1', 'od', { gpuAllocated: 6 })],
      pods: [{ uid: 'p', namespace: 'ml', name: 'p', phase: 'Pending', priority: 0, requests: { 'nvidia.com/gpu': 4 }, unschedulableSince: T0 - MIN, owner: { kind: 'Job', name: 'j', controller: true }, labels: {}, annotations: {} }],
      pdbs: [], state: emptyState(),
    };
    const h = new DemandHistory(28);
    recordDemand(h, snap, decide(snap));
    expect(h.samples('A100/nvidia.com/gpu')).to.deep.equal([{ at: T0, gpus: 10 }]);
  });
});
