import { expect } from 'chai';
import { Command } from 'commander';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/config/index.js';
import { nodeScalerCommand, planFromFiles } from '../../../src/nodescaler/plan-command.js';
import { T0, node, pendingPod } from './fixtures.js';

const CONFIG = `
pools:
  - name: a100-spot
    tier: spot
    gpuModel: A100
    gpusPerNode: 8
    pricePerHour: 12
    onDemandReferencePrice: 32
    max: 10
    actuator: { kind: clusterApi, namespace: capi, name: a100-spot }
  - name: a100-od
    tier: onDemand
    gpuModel: A100
    gpusPerNode: 8
    pricePerHour: 32
    onDemandReferencePrice: 32
    max: 10
    actuator: { kind: clusterApi, namespace: capi, name: a100-od }
`;

function files(snapshot: unknown): { config: string; snapshot: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ns-plan-'));
  const config = join(dir, 'node-scaler.yaml');
  const snap = join(dir, 'snapshot.json');
  writeFileSync(config, CONFIG);
  writeFileSync(snap, JSON.stringify(snapshot));
  return { config, snapshot: snap };
}

const SNAPSHOT = {
  now: new Date(T0).toISOString(),
  pools: [
    { name: 'a100-spot', desired: 0, registered: 0 },
    { name: 'a100-od', desired: 1, registered: 1 },
  ],
  nodes: [node('od-1', 'a100-od')],
  pods: [pendingPod('train', { requests: { 'nvidia.com/gpu': 8 } })],
};

describe('node-scaler plan (dry run from a snapshot file)', () => {
  it('plans from a config and a snapshot file', () => {
    const f = files(SNAPSHOT);
    const plan = planFromFiles(f.config, f.snapshot);
    expect(plan.at).to.equal(T0);
    expect(plan.pools.find((p) => p.name === 'a100-spot')!.desired).to.equal(1);
  });

  it('prints a summary or JSON through the command', async () => {
    const f = files(SNAPSHOT);
    let out = '';
    const program = new Command('ai-metrics-adapter').exitOverride();
    nodeScalerCommand(program, (t) => (out += t));
    await program.parseAsync(['node', 'x', 'node-scaler', 'plan', '--config', f.config, '--snapshot', f.snapshot]);
    expect(out).to.contain('dry run: nothing is applied');
    expect(out).to.contain('pool a100-spot [spot, available]: 0 → 1 — +1 node(s): pending GPU pods');
    out = '';
    await program.parseAsync(['node', 'x', 'node-scaler', 'plan', '--config', f.config, '--snapshot', f.snapshot, '--output', 'json']);
    expect(JSON.parse(out).summary.newNodes).to.equal(1);
  });

  it('names the file and field of a malformed snapshot', () => {
    const f = files({ now: 'yesterday', pools: [{ name: 'a100-spot', desired: -1, registered: 0 }] });
    expect(() => planFromFiles(f.config, f.snapshot)).to.throw(ConfigError, /snapshot\.json: now: .*\n.*snapshot\.json: pools\.0\.desired/);
  });
});
