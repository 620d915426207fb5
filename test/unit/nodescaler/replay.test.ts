import { expect } from 'chai';
import { parseNodeScalerConfig } from '../../../src/nodescaler/config.js';
import { rawPool } from './fixtures.js';
import type { CloudModel } from './sim/cluster.js';
import { replay, type ReplayResult } from './sim/replay.js';
import { syntheticWeek } from './sim/workload.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2026-03-02 00:00 UTC. */
const START = Date.parse('2026-03-02T00:00:00Z');
const TICK = 30_000;
const at = (day: number, hour: number) => START + day * DAY + hour * HOUR;

const OD = 32.77; // p4d-class 8×A100 node, USD/h

/** Reserved commitment, three spot pools (zones) and on-demand. */
const scalerConfig = parseNodeScalerConfig({
  dryRun: false,
  pools: [
    rawPool('a100-reserved', 'reserved', { pricePerHour: 19.66, onDemandReferencePrice: OD, min: 3, commitment: 3, max: 6 }),
    rawPool('a100-spot-a', 'spot', { pricePerHour: 11.8, onDemandReferencePrice: OD, max: 40 }),
    rawPool('a100-spot-b', 'spot', { pricePerHour: 12.4, onDemandReferencePrice: OD, max: 40 }),
    rawPool('a100-spot-c', 'spot', { pricePerHour: 13.1, onDemandReferencePrice: OD, max: 40 }),
    rawPool('a100-od', 'onDemand', { pricePerHour: OD, onDemandReferencePrice: OD, max: 80 }),
  ],
});

/** The baseline: the same autoscaling, on-demand only. */
const baselineConfig = parseNodeScalerConfig({
  dryRun: false,
  pools: [rawPool('a100-od', 'onDemand', { pricePerHour: OD, onDemandReferencePrice: OD, max: 120 })],
});

const cloud: CloudModel = {
  provisionMs: { reserved: 4 * 60_000, spot: 5 * 60_000, onDemand: 4 * 60_000 },
  gpuReadyMs: 90_000,
  // Tuesday: zones a and b run dry for the working day (a says so, b only times out); Tuesday
  // midday zone c too, so demand must fall back to on-demand and then drift back.
  shortages: {
    'a100-spot-a': [[at(1, 8), at(1, 17)]],
    'a100-spot-b': [[at(1, 8), at(1, 17)]],
    'a100-spot-c': [[at(1, 11), at(1, 14)]],
  },
  explicitFailures: new Set(['a100-spot-a']),
  // Thursday 14:00–14:30: an interruption storm hits every spot pool.
  storm: { from: at(3, 14), to: at(3, 14.5), probabilityPerTick: 0.06 },
};

function table(rows: ReplayResult[]): string {
  const cols: Array<[string, (r: ReplayResult) => string]> = [
    ['run', (r) => r.label],
    ['cost USD', (r) => r.costUsd.toFixed(0)],
    ['pending GPU-min', (r) => r.pendingGpuMinutes.toFixed(0)],
    ['pending min / served GPU-h', (r) => r.pendingPerServedGpuHour.toFixed(2)],
    ['wait p50/p95/max min', (r) => `${r.waitP50Min.toFixed(1)}/${r.waitP95Min.toFixed(1)}/${r.waitMaxMin.toFixed(1)}`],
    ['served GPU-h', (r) => r.servedGpuHours.toFixed(0)],
    ['lost GPU-h', (r) => r.lostGpuHours.toFixed(1)],
    ['interruptions', (r) => String(r.interruptions)],
    ['backoffs', (r) => String(r.backoffs)],
    ['launched', (r) => String(r.launched)],
    ['peak nodes', (r) => String(r.peakNodes)],
    ['node-h reserved/spot/OD', (r) => `${r.nodeHours.reserved.toFixed(0)}/${r.nodeHours.spot.toFixed(0)}/${r.nodeHours.onDemand.toFixed(0)}`],
    ['jobs done/submitted', (r) => `${r.jobsDone}/${r.jobsSubmitted}`],
  ];
  const cells = rows.map((r) => cols.map(([, f]) => f(r)));
  const widths = cols.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (xs: string[]) => '| ' + xs.map((x, i) => x.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(cols.map(([h]) => h)), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.map(line)].join('\n');
}

describe('node-scaler replay: a synthetic week (diurnal load, spot shortage, interruption storm)', function () {
  this.timeout(300_000);
  const jobs = syntheticWeek(START);
  let scaler: ReplayResult;
  let baseline: ReplayResult;

  before(() => {
    const common = { jobs, cloud, start: START, durationMs: 7 * DAY, tickMs: TICK };
    scaler = replay({ ...common, label: 'node-scaler (reserved + spot + on-demand)', config: scalerConfig });
    baseline = replay({ ...common, label: 'baseline (all on-demand)', config: baselineConfig });
    const saving = 1 - scaler.costUsd / baseline.costUsd;
    console.log(`\n${table([scaler, baseline])}\n    cost: ${scaler.costUsd.toFixed(0)} USD vs ${baseline.costUsd.toFixed(0)} USD baseline (${(saving * 100).toFixed(1)} % cheaper); pending: ${scaler.pendingGpuMinutes.toFixed(0)} vs ${baseline.pendingGpuMinutes.toFixed(0)} GPU-minutes; decide() p99 ${scaler.decideMsP99.toFixed(2)} ms per tick\n`);
  });

  it('serves the same work', () => {
    expect(scaler.jobsSubmitted).to.equal(baseline.jobsSubmitted);
    expect(scaler.servedGpuHours).to.be.closeTo(baseline.servedGpuHours, baseline.servedGpuHours * 0.02);
  });

  it('costs less than the all-on-demand baseline', () => {
    expect(scaler.costUsd).to.be.below(baseline.costUsd * 0.75);
  });

  it('keeps pending time bounded despite the shortage and the storm', () => {
    expect(scaler.pendingGpuMinutes).to.be.below(baseline.pendingGpuMinutes * 1.5 + 5_000);
    expect(scaler.waitP95Min).to.be.below(20);
  });

  it('went through the scenario it claims: fallbacks and interruptions happened', () => {
    expect(scaler.backoffs).to.be.greaterThan(0);
    expect(scaler.interruptions).to.be.greaterThan(0);
    expect(scaler.failedLaunches).to.be.greaterThan(0);
  });
});
