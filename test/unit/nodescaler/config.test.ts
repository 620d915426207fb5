import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../../src/config/index.js';
import { drainTimeoutSeconds, loadNodeScalerConfig, parseNodeScalerConfig, poolFloor } from '../../../src/nodescaler/config.js';
import { rawPool, standardPools } from './fixtures.js';

function errorOf(raw: unknown): string {
  try {
    parseNodeScalerConfig(raw, 'cfg');
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('node-scaler config', () => {
  it('fills the §4 defaults', () => {
    const cfg = parseNodeScalerConfig({ pools: [rawPool('od', 'onDemand')] });
    expect(cfg.dryRun).to.equal(true);
    expect(cfg.pendingDelaySeconds).to.equal(30);
    expect(cfg.expendablePodsPriorityCutoff).to.equal(-10);
    expect(cfg.hoursPerMonth).to.equal(730);
    expect(cfg.spot).to.deep.equal({ maxShare: 0.6, protectHighFromSpot: false, interruptionRateMax: 0.1, shareStep: 0.1, shareFloor: 0.2 });
    expect(cfg.backoff).to.deep.equal({ initialSeconds: 300, maxSeconds: 1800, resetAfterSeconds: 10800, probeNodes: 1 });
    expect(cfg.scaleUp).to.deep.equal({ cooldownSeconds: 0, maxNodesPerTick: 10, maxNodesPerTickFraction: 0.25 });
    expect(cfg.scaleDown).to.include({
      minNodeAgeSeconds: 600,
      unneededSeconds: 600,
      allocationThreshold: 0.5,
      utilizationThreshold: 0.2,
      delayAfterAddSeconds: 600,
      delayAfterFailureSeconds: 180,
      cooldownSeconds: 600,
      maxEmptyBulk: 10,
      maxConcurrentDrains: 2,
      maxConcurrentDrainsPerPool: 1,
      maxGracefulTerminationSeconds: 600,
      unremovableSeconds: 300,
    });
    expect(drainTimeoutSeconds(cfg)).to.equal(660);
    expect(cfg.headroom).to.deep.equal({ enabled: false, upThreshold: 0.8, targetRatio: 0.7, windowSeconds: 180, dcgmSaturation: 0.9 });
    expect(cfg.dcgm).to.deep.equal({ windowSeconds: 600, maxAgeSeconds: 30 });
    expect(cfg.interruption.safetyMarginSeconds).to.equal(10);
    expect(cfg.interruption.bandWeights).to.deep.equal({ low: 1, medium: 3, high: 6, systemCritical: 0 });
    expect(cfg.interruption.defaultNoticeSeconds).to.deep.equal({ aws: 120, gcp: 30, azure: 30, other: 120 });
    expect(cfg.interruption.atRiskTtlSeconds).to.equal(1800);
    expect(cfg.predictive).to.include({ enabled: false, lookbackDays: 28, quantile: 0.8, halfLifeWeeks: 2, minSamples: 3, targetSamples: 4, confidenceThreshold: 0.7, timezone: 'UTC' });
    const pool = cfg.pools[0]!;
    expect(pool).to.include({ gpuResource: 'nvidia.com/gpu', slotsPerGpu: 1, shared: false, min: 0, weight: 0, provisionTimeoutSeconds: 600 });
    expect(pool.actuator).to.deep.equal({ kind: 'clusterApi', resource: 'MachineDeployment', apiVersion: 'cluster.x-k8s.io/v1beta1', namespace: 'capi', name: 'od' });
  });

  it('names the path of cross-field errors', () => {
    const pools = standardPools();
    pools[2] = rawPool('spot-b', 'spot', { min: 3, max: 2 });
    expect(errorOf({ pools })).to.equal('cfg: pools[2].max: must be ≥ min (3)');
  });

  const cases: Array<[string, unknown, string]> = [
    ['commitment on a spot pool', { pools: [rawPool('s', 'spot', { commitment: 1 })] }, 'pools[0].commitment: only a reserved pool has a commitment'],
    ['commitment above max', { pools: [rawPool('r', 'reserved', { commitment: 5, max: 4 })] }, 'pools[0].commitment: must be ≤ max (4)'],
    ['duplicate pool names', { pools: [rawPool('a', 'spot'), rawPool('a', 'onDemand')] }, 'pools[1].name: duplicates pools[0].name'],
    ['spot dearer than on-demand', { pools: [rawPool('s', 'spot', { pricePerHour: 40 })] }, 'pools[0].pricePerHour: must be ≤ onDemandReferencePrice (32)'],
    ['unknown tier', { pools: [rawPool('s', 'preemptible' as never)] }, 'pools[0].tier:'],
    ['unknown key', { pools: [rawPool('s', 'spot', { maxSize: 3 })] }, 'pools[0]: Unrecognized key'],
    ['bad share', { spot: { maxShare: 1.5 }, pools: [rawPool('s', 'spot')] }, 'spot.maxShare:'],
    ['floor above cap', { spot: { maxShare: 0.3, shareFloor: 0.4 }, pools: [rawPool('s', 'spot')] }, 'spot.shareFloor: must be ≤ spot.maxShare (0.3)'],
    ['no pools', { pools: [] }, 'pools: at least one pool is required'],
    ['bad time zone', { predictive: { timezone: 'Mars/Olympus' }, pools: [rawPool('s', 'spot')] }, 'predictive.timezone: must be an IANA time zone'],
    ['bad actuator', { pools: [rawPool('s', 'spot', { actuator: { kind: 'terraform' } })] }, 'pools[0].actuator.kind:'],
    ['MIG resource name', { pools: [rawPool('m', 'onDemand', { gpuResource: 'amd.com/gpu' })] }, 'pools[0].gpuResource: must be nvidia.com/gpu or nvidia.com/mig-<profile>'],
  ];
  for (const [name, raw, expected] of cases) {
    it(`rejects ${name}`, () => {
      expect(errorOf(raw)).to.contain(`cfg: ${expected}`);
    });
  }

  it('keeps a reserved pool at its commitment even when min is lower', () => {
    const cfg = parseNodeScalerConfig({ pools: [rawPool('r', 'reserved', { min: 1, commitment: 3 })] });
    expect(poolFloor(cfg.pools[0]!)).to.equal(3);
  });

  it('accepts the example of docs/node-scaler.md', () => {
    const doc = readFileSync(new URL('../../../docs/node-scaler.md', import.meta.url), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const cfg = parseNodeScalerConfig(parseYaml(yaml), 'docs/node-scaler.md');
    expect(cfg.pools.map((p) => p.name)).to.deep.equal(['a100-reserved', 'a100-spot-us-east-1a', 'a100-od']);
    // The example spells out every default: parsing it must equal parsing the pools alone.
    const defaults = parseNodeScalerConfig({ pools: (parseYaml(yaml) as { pools: unknown }).pools });
    expect(cfg).to.deep.equal(defaults);
  });

  it('loads YAML from a file and reports the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-config-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      [
        'dryRun: false',
        'pools:',
        '  - name: h100-spot',
        '    tier: spot',
        '    gpuModel: H100',
        '    gpusPerNode: 8',
        '    pricePerHour: 30',
        '    onDemandReferencePrice: 98',
        '    max: 10',
        '    actuator: { kind: clusterApi, namespace: capi, name: h100-spot }',
      ].join('\n'),
    );
    const cfg = loadNodeScalerConfig(good);
    expect(cfg.dryRun).to.equal(false);
    expect(cfg.pools[0]!.name).to.equal('h100-spot');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'pools:\n  - name: x\n    tier: spot\n');
    expect(() => loadNodeScalerConfig(bad)).to.throw(ConfigError, `${bad}: pools[0].gpuModel`);
    expect(() => loadNodeScalerConfig(join(dir, 'missing.yaml'))).to.throw(ConfigError, 'missing.yaml');
  });
});
