import { rng } from './rng.js';

/** One GPU job of the synthetic week: it runs `durationMs` once started, checkpointing every 30 min. */
export interface Job {
  id: string;
  arrival: number;
  gpus: number;
  durationMs: number;
  priority: number;
  workload: 'training' | 'batch' | 'development';
  /** Critical inference-like jobs that must not run on spot. */
  onDemandOnly: boolean;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Diurnal arrivals: weekdays peak at 14:00 UTC (≈ 3.4× the night rate), weekends at ~40 % of a
 * weekday. Sizes 1/2/4/8 GPUs (40/25/20/15 %), durations 20 min – 3 h (log-uniform).
 */
export function syntheticWeek(start: number, seed = 7): Job[] {
  const rand = rng(seed);
  const jobs: Job[] = [];
  const stepMs = 60_000;
  let n = 0;
  for (let t = start; t < start + 7 * DAY; t += stepMs) {
    const perHour = arrivalsPerHour(t);
    // Bernoulli thinning per minute: expected perHour/60 arrivals.
    let expected = perHour / 60;
    while (expected > 0) {
      if (rand() < Math.min(1, expected)) jobs.push(makeJob(`job-${n++}`, t + Math.floor(rand() * stepMs), rand));
      expected -= 1;
    }
  }
  return jobs;
}

function arrivalsPerHour(t: number): number {
  const d = new Date(t);
  const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
  const diurnal = 1 + 0.7 * Math.cos(((hour - 14) / 24) * 2 * Math.PI);
  return (weekend ? 0.4 : 1) * 16 * diurnal;
}

function makeJob(id: string, arrival: number, rand: () => number): Job {
  const r = rand();
  const gpus = r < 0.4 ? 1 : r < 0.65 ? 2 : r < 0.85 ? 4 : 8;
  const durationMs = Math.round(20 * 60_000 * Math.exp(rand() * Math.log(9)));
  const w = rand();
  const workload = w < 0.2 ? 'training' : w < 0.8 ? 'batch' : 'development';
  return { id, arrival, gpus, durationMs, priority: workload === 'training' ? 100 : 0, workload, onDemandOnly: rand() < 0.1 };
}
