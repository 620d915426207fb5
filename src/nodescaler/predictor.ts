import type { NodeScalerConfig } from './config.js';
import type { Millis, PrewarmTarget } from './types.js';

/**
 * Predictive pre-warm (§4.8), off by default. Demand d(t) = allocated GPUs + GPUs of eligible
 * pending pods, kept as 5-minute maxima. Each of the 168 hour-of-week buckets (Sunday 00:00 =
 * bucket 0, in the configured time zone) holds the *peak* of every past occurrence of that hour
 * within the lookback; the prediction for now + lead time is a recency-weighted quantile of
 * those peaks, trusted only with enough consistent samples.
 */

type PredictiveConfig = NodeScalerConfig['predictive'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const WEEK = 7 * 24 * HOUR;

export interface DemandSample {
  at: Millis;
  gpus: number;
}

interface LocalTime {
  bucket: number;
  /** Identifies one occurrence of the local hour (date + hour). */
  occurrence: string;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function localTime(t: Millis, timeZone: string): LocalTime {
  if (timeZone === 'UTC') {
    const d = new Date(t);
    return { bucket: d.getUTCDay() * 24 + d.getUTCHours(), occurrence: String(Math.floor(t / HOUR)), minute: d.getUTCMinutes(), second: d.getUTCSeconds() + d.getUTCMilliseconds() / 1000 };
  }
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(t))) parts[p.type] = p.value;
  const hour = Number(parts.hour);
  return {
    bucket: (WEEKDAYS[parts.weekday ?? 'Sun'] ?? 0) * 24 + hour,
    occurrence: `${parts.year}-${parts.month}-${parts.day}T${hour}`,
    minute: Number(parts.minute),
    second: Number(parts.second) + (t % 1000) / 1000,
  };
}

/** Hour-of-week bucket b = dayOfWeek·24 + hour (Sunday = 0). */
export function hourOfWeek(t: Millis, timeZone = 'UTC'): number {
  return localTime(t, timeZone).bucket;
}

/** Peak demand of each past occurrence of every bucket within the lookback. */
export function bucketPeaks(samples: readonly DemandSample[], now: Millis, cfg: PredictiveConfig): Map<number, Array<{ value: number; at: Millis }>> {
  const from = now - cfg.lookbackDays * 24 * HOUR;
  const peaks = new Map<string, { bucket: number; value: number; at: Millis }>();
  for (const s of samples) {
    if (s.at < from || s.at > now || !Number.isFinite(s.gpus)) continue;
    const lt = localTime(s.at, cfg.timezone);
    const prev = peaks.get(lt.occurrence);
    if (!prev || s.gpus > prev.value) peaks.set(lt.occurrence, { bucket: lt.bucket, value: s.gpus, at: s.at });
  }
  const out = new Map<number, Array<{ value: number; at: Millis }>>();
  for (const p of peaks.values()) {
    const list = out.get(p.bucket);
    if (list) list.push({ value: p.value, at: p.at });
    else out.set(p.bucket, [{ value: p.value, at: p.at }]);
  }
  return out;
}

/** Smallest value whose cumulative weight reaches q of the total. */
export function weightedQuantile(values: readonly number[], weights: readonly number[], q: number): number {
  const items = values.map((v, i) => ({ v, w: weights[i] ?? 0 })).filter((x) => x.w > 0).sort((a, b) => a.v - b.v);
  if (items.length === 0) return 0;
  const total = items.reduce((s, x) => s + x.w, 0);
  let acc = 0;
  for (const x of items) {
    acc += x.w;
    if (acc >= q * total - 1e-12) return x.v;
  }
  return items[items.length - 1]!.v;
}

/** c = clamp01(1 − CV) · min(1, k/k_target); CV = population stdev / mean; 0 when the mean is 0. */
export function confidence(values: readonly number[], targetSamples: number): number {
  const k = values.length;
  if (k === 0) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / k;
  if (mean <= 0) return 0;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / k;
  const cv = Math.sqrt(variance) / mean;
  return Math.min(1, Math.max(0, 1 - cv)) * Math.min(1, k / targetSamples);
}

/** L_p: p90 of observed provisioning latencies plus the margin; the default when none is known. */
export function leadTimeMinutes(latenciesSeconds: readonly number[], cfg: PredictiveConfig): number {
  if (latenciesSeconds.length === 0) return cfg.defaultLeadMinutes;
  const sorted = [...latenciesSeconds].sort((a, b) => a - b);
  const p90 = sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)]!;
  return p90 / 60 + cfg.leadMarginMinutes;
}

export interface Prediction {
  /** τ = now + lead time. */
  at: Millis;
  bucket: number;
  samples: number;
  predictedGpus: number;
  confidence: number;
}

export function predict(samples: readonly DemandSample[], now: Millis, leadMinutes: number, cfg: PredictiveConfig): Prediction {
  const at = now + leadMinutes * MINUTE;
  const bucket = hourOfWeek(at, cfg.timezone);
  const xs = bucketPeaks(samples, now, cfg).get(bucket) ?? [];
  const weights = xs.map((x) => 0.5 ** ((now - x.at) / WEEK / cfg.halfLifeWeeks));
  const values = xs.map((x) => x.value);
  return { at, bucket, samples: xs.length, predictedGpus: weightedQuantile(values, weights, cfg.quantile), confidence: confidence(values, cfg.targetSamples) };
}

/** E = min(D̂ − A − I, maxGpus) when the prediction is trusted and exceeds what exists; else 0 with why. */
export function prewarmGpus(p: Prediction, allocatable: number, inflight: number, cfg: PredictiveConfig): { gpus: number; reason: string } {
  if (p.samples < cfg.minSamples) return { gpus: 0, reason: `${p.samples} sample(s) for bucket ${p.bucket} < ${cfg.minSamples}` };
  if (p.confidence < cfg.confidenceThreshold) return { gpus: 0, reason: `confidence ${p.confidence.toFixed(2)} < ${cfg.confidenceThreshold}` };
  const have = allocatable + inflight;
  if (p.predictedGpus <= have) return { gpus: 0, reason: `predicted ${p.predictedGpus} GPUs ≤ ${have} allocatable + in flight` };
  const gpus = Math.min(p.predictedGpus - have, cfg.maxGpus);
  return { gpus, reason: `predicted ${p.predictedGpus} GPUs for bucket ${p.bucket} (confidence ${p.confidence.toFixed(2)}, ${p.samples} weeks)` };
}

/** The floor lasts until the end of the predicted hour plus the grace. */
export function prewarmExpiry(at: Millis, cfg: PredictiveConfig): Millis {
  const lt = localTime(at, cfg.timezone);
  const hourStart = at - (lt.minute * 60 + lt.second) * 1000;
  return hourStart + HOUR + cfg.expiryGraceMinutes * MINUTE;
}

/** Self-correction: suppress a bucket whose pre-warmed GPU-hours were less than half used two weeks running. */
export function suppressBucket(history: ReadonlyArray<{ prewarmGpuHours: number; usedGpuHours: number }>): boolean {
  const last = history.slice(-2);
  return last.length === 2 && last.every((w) => w.prewarmGpuHours > 0 && w.usedGpuHours / w.prewarmGpuHours < 0.5);
}

/** Glue for the controller: the pre-warm target for one GPU class, or undefined. */
export function prewarmTarget(input: {
  className: string;
  pools: string[];
  samples: readonly DemandSample[];
  now: Millis;
  allocatable: number;
  inflight: number;
  latenciesSeconds: readonly number[];
  cfg: PredictiveConfig;
}): PrewarmTarget | undefined {
  const { cfg } = input;
  if (!cfg.enabled) return undefined;
  const p = predict(input.samples, input.now, leadTimeMinutes(input.latenciesSeconds, cfg), cfg);
  const e = prewarmGpus(p, input.allocatable, input.inflight, cfg);
  if (e.gpus <= 0) return undefined;
  return { className: input.className, pools: input.pools, gpus: input.allocatable + input.inflight + e.gpus, until: prewarmExpiry(p.at, cfg), reason: e.reason };
}
