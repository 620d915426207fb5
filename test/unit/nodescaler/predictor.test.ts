import { expect } from 'chai';
import { parseNodeScalerConfig } from '../../../src/nodescaler/config.js';
import { bucketPeaks, confidence, hourOfWeek, leadTimeMinutes, predict, prewarmExpiry, prewarmGpus, prewarmTarget, suppressBucket, weightedQuantile, type DemandSample } from '../../../src/nodescaler/predictor.js';
import type { PrewarmTarget } from '../../../src/nodescaler/types.js';
import { HOUR, MIN, T0, config, node, poolPlan, rawPool, run, snapshot } from './fixtures.js';
import { decide } from '../../../src/nodescaler/decide.js';

const WEEK = 7 * 24 * HOUR;
const cfg = (over: Record<string, unknown> = {}) => parseNodeScalerConfig({ predictive: { enabled: true, ...over }, pools: [rawPool('od', 'onDemand')] }).predictive;

/** Demand every 5 min over `weeks` weeks before `now`: `busy` GPUs on weekdays 13:00–14:00 UTC, 8 otherwise. */
function history(now: number, weeks: number, busy: (week: number) => number): DemandSample[] {
  const out: DemandSample[] = [];
  for (let t = now - weeks * WEEK; t < now; t += 5 * MIN) {
    const d = new Date(t);
    const weekday = d.getUTCDay() >= 1 && d.getUTCDay() <= 5;
    const week = Math.floor((now - t) / WEEK);
    out.push({ at: t, gpus: weekday && d.getUTCHours() === 13 ? busy(week) : 8 });
  }
  return out;
}

describe('node-scaler §4.8 predictive pre-warm', () => {
  it('numbers hour-of-week buckets from Sunday 00:00 in the configured time zone', () => {
    expect(hourOfWeek(Date.parse('2026-03-01T00:00:00Z'))).to.equal(0); // Sunday
    expect(hourOfWeek(T0)).to.equal(24 + 12); // Monday 12:00
    expect(hourOfWeek(Date.parse('2026-03-07T23:59:59Z'))).to.equal(167);
    expect(hourOfWeek(T0, 'Asia/Tokyo')).to.equal(24 + 21);
    expect(hourOfWeek(T0, 'Asia/Kolkata')).to.equal(24 + 17); // 17:30 local
  });

  it('keeps the weekly peak of every occurrence within the lookback', () => {
    const samples = history(T0, 5, (w) => 40 + w);
    const peaks = bucketPeaks(samples, T0, cfg());
    // Monday 13:00 is bucket 37: four full weeks fit in 28 days.
    expect(peaks.get(37)!.map((x) => x.value).sort()).to.deep.equal([40, 41, 42, 43]);
    expect(bucketPeaks(samples, T0, cfg({ lookbackDays: 7 })).get(37)!).to.have.length(1);
  });

  it('weighted quantile: smallest value whose cumulative weight reaches q', () => {
    expect(weightedQuantile([10, 20, 30, 40], [1, 1, 1, 1], 0.8)).to.equal(40);
    expect(weightedQuantile([10, 20, 30, 40], [1, 1, 1, 1], 0.75)).to.equal(30);
    expect(weightedQuantile([10, 40], [3, 1], 0.5)).to.equal(10);
    expect(weightedQuantile([], [], 0.8)).to.equal(0);
  });

  it('confidence = clamp01(1 − CV) · min(1, k/k_target), 0 for a zero mean', () => {
    expect(confidence([40, 40, 40, 40], 4)).to.equal(1);
    expect(confidence([40, 40, 40], 4)).to.equal(0.75);
    expect(confidence([0, 0, 0], 4)).to.equal(0);
    // mean 20, population stdev 10 → CV 0.5.
    expect(confidence([10, 30, 10, 30], 4)).to.be.closeTo(0.5, 1e-12);
    // CV > 1 clamps to 0.
    expect(confidence([0, 0, 0, 100], 4)).to.equal(0);
  });

  it('lead time = p90 of provisioning latency + margin, 30 min when unknown', () => {
    expect(leadTimeMinutes([], cfg())).to.equal(30);
    const lat = [120, 180, 180, 200, 240, 240, 260, 300, 300, 600];
    expect(leadTimeMinutes(lat, cfg())).to.equal(300 / 60 + 10);
  });

  it('predicts the hour at now + lead, and pre-warms only above allocatable + in flight with c ≥ 0.7 and k ≥ 3', () => {
    const now = T0 + 30 * MIN; // Monday 12:30 → τ = 13:00
    const p = predict(history(now, 4, () => 48), now, 30, cfg());
    expect(p).to.deep.include({ bucket: 37, samples: 4, predictedGpus: 48, confidence: 1 });
    expect(prewarmGpus(p, 16, 8, cfg())).to.deep.equal({ gpus: 24, reason: 'predicted 48 GPUs for bucket 37 (confidence 1.00, 4 weeks)' });
    expect(prewarmGpus(p, 40, 8, cfg()).gpus).to.equal(0);
    expect(prewarmGpus(p, 0, 0, cfg({ maxGpus: 16 })).gpus).to.equal(16);
    const two = predict(history(now, 2, () => 48), now, 30, cfg());
    expect(prewarmGpus(two, 0, 0, cfg()).reason).to.equal('2 sample(s) for bucket 37 < 3');
    const noisy = predict(history(now, 4, (w) => [8, 64, 8, 64][w]!), now, 30, cfg());
    expect(prewarmGpus(noisy, 0, 0, cfg()).reason).to.match(/^confidence 0\.\d\d < 0.7$/);
  });

  it('a 7-day lookback can never pre-warm (k = 1) — the earlier design flaw', () => {
    const now = T0 + 30 * MIN;
    const p = predict(history(now, 4, () => 48), now, 30, cfg({ lookbackDays: 7 }));
    expect(p.samples).to.equal(1);
    expect(prewarmGpus(p, 0, 0, cfg({ lookbackDays: 7 })).gpus).to.equal(0);
  });

  it('weights recent weeks more (half-life 2 weeks)', () => {
    const now = T0 + 30 * MIN;
    const p = predict(history(now, 4, (w) => (w === 0 ? 48 : 40)), now, 30, cfg({ quantile: 0.5, confidenceThreshold: 0 }));
    // Weights ≈ 1, 0.71, 0.5, 0.35 on values 48, 40, 40, 40: the median by weight is 40.
    expect(p.predictedGpus).to.equal(40);
    const q = predict(history(now, 4, (w) => (w === 0 ? 48 : 40)), now, 30, cfg({ quantile: 0.8 }));
    expect(q.predictedGpus).to.equal(48);
  });

  it('the floor lasts until the end of the predicted hour plus 15 min', () => {
    expect(prewarmExpiry(T0 + 65 * MIN, cfg())).to.equal(T0 + 2 * HOUR + 15 * MIN);
    expect(prewarmExpiry(Date.parse('2026-03-02T12:40:00Z'), cfg({ timezone: 'Asia/Kolkata' }))).to.equal(Date.parse('2026-03-02T13:45:00Z'));
  });

  it('suppresses a bucket whose pre-warm was less than half used two weeks running', () => {
    expect(suppressBucket([{ prewarmGpuHours: 10, usedGpuHours: 4 }, { prewarmGpuHours: 10, usedGpuHours: 4.9 }])).to.equal(true);
    expect(suppressBucket([{ prewarmGpuHours: 10, usedGpuHours: 4 }, { prewarmGpuHours: 10, usedGpuHours: 5 }])).to.equal(false);
    expect(suppressBucket([{ prewarmGpuHours: 10, usedGpuHours: 1 }])).to.equal(false);
  });

  it('builds a target only when enabled', () => {
    const now = T0 + 30 * MIN;
    const input = { className: 'A100', pools: ['od'], samples: history(now, 4, () => 48), now, allocatable: 16, inflight: 0, latenciesSeconds: [], cfg: cfg() };
    expect(prewarmTarget(input)).to.deep.equal({ className: 'A100', pools: ['od'], gpus: 48, until: T0 + 2 * HOUR + 15 * MIN, reason: 'predicted 48 GPUs for bucket 37 (confidence 1.00, 4 weeks)' });
    expect(prewarmTarget({ ...input, cfg: cfg({ enabled: false }) })).to.equal(undefined);
  });

  describe('in decide()', () => {
    const target: PrewarmTarget = { className: 'A100', pools: ['spot-a', 'od'], gpus: 32, until: T0 + HOUR, reason: 'test' };
    const nodes = [node('res-1', 'res'), node('od-1', 'od')];

    it('raises the class to the target on the cheapest available pool when enabled', () => {
      const plan = decide({ ...snapshot({ config: config({ predictive: { enabled: true }, spot: { maxShare: 1 } }), nodes }), prewarm: [target] });
      expect(poolPlan(plan, 'spot-a').newNodes).to.equal(3);
      expect(poolPlan(plan, 'spot-a').reasons[0]).to.equal('+3 node(s): pre-warm A100');
    });

    it('is ignored when predictive is off (the default) or the target expired', () => {
      expect(decide({ ...snapshot({ nodes }), prewarm: [target] }).summary.newNodes).to.equal(0);
      const late = snapshot({ config: config({ predictive: { enabled: true } }), nodes, now: T0 + HOUR });
      expect(decide({ ...late, prewarm: [target] }).summary.newNodes).to.equal(0);
    });

    it('keeps scale-down from going under the floor while it lasts', () => {
      const idle = [node('res-1', 'res'), node('od-1', 'od', { gpuAllocated: 0, dcgm: { util: 0, ageSeconds: 1 } }), node('od-2', 'od', { gpuAllocated: 0, dcgm: { util: 0, ageSeconds: 1 } })];
      const st = { headroomHighSince: {}, spotShareSteps: 0, pools: {}, nodes: { 'od-1': { unneededSince: T0 - HOUR }, 'od-2': { unneededSince: T0 - HOUR } } };
      const on = decide({ ...snapshot({ config: config({ predictive: { enabled: true } }), nodes: idle, state: st }), prewarm: [{ ...target, gpus: 8 }] });
      expect(on.summary.removedNodes).to.equal(1);
      expect(on.nodes.find((n) => n.name === 'od-2')!.reason).to.match(/pre-warm floor for A100/);
      expect(run({ nodes: idle, state: st }).summary.removedNodes).to.equal(2);
    });
  });
});
