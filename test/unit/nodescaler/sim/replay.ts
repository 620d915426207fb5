import type { NodeScalerConfig, Tier } from '../../../../src/nodescaler/config.js';
import { estimateCost } from '../../../../src/nodescaler/cost.js';
import { decide } from '../../../../src/nodescaler/decide.js';
import { emptyState } from '../../../../src/nodescaler/state.js';
import type { ScalerState } from '../../../../src/nodescaler/types.js';
import { SimCluster, type CloudModel } from './cluster.js';
import { rng } from './rng.js';
import type { Job } from './workload.js';

export interface ReplayResult {
  label: string;
  costUsd: number;
  pendingGpuMinutes: number;
  /** Pending GPU-minutes per GPU-hour of work served. */
  pendingPerServedGpuHour: number;
  waitP50Min: number;
  waitP95Min: number;
  waitMaxMin: number;
  lostGpuHours: number;
  servedGpuHours: number;
  interruptions: number;
  launched: number;
  failedLaunches: number;
  backoffs: number;
  jobsDone: number;
  jobsSubmitted: number;
  peakNodes: number;
  /** Node-hours billed per tier. */
  nodeHours: Record<Tier, number>;
  decideMsP99: number;
}

export interface ReplayInput {
  label: string;
  config: NodeScalerConfig;
  jobs: readonly Job[];
  cloud: CloudModel;
  start: number;
  durationMs: number;
  tickMs: number;
  seed?: number;
}

const percentile = (xs: number[], q: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

/** Runs the node-scaler against the simulated cluster for the whole period and totals the bill. */
export function replay(input: ReplayInput): ReplayResult {
  const { config, cloud, start, durationMs, tickMs } = input;
  const sim = new SimCluster(config, cloud, rng(input.seed ?? 11));
  let state: ScalerState = emptyState();
  let cost = 0;
  let backoffs = 0;
  let peakNodes = 0;
  let next = 0;
  const jobs = [...input.jobs].sort((a, b) => a.arrival - b.arrival);
  const decideMs: number[] = [];
  const nodeHours: Record<Tier, number> = { reserved: 0, spot: 0, onDemand: 0 };
  for (let now = start; now < start + durationMs; now += tickMs) {
    while (next < jobs.length && jobs[next]!.arrival <= now) sim.submit(jobs[next++]!, now);
    sim.advance(now, tickMs);
    const billed = sim.billedNodes();
    const counts = config.pools.map((pool) => ({ pool, nodes: billed.get(pool.name) ?? 0 }));
    for (const { pool, nodes } of counts) nodeHours[pool.tier] += (nodes * tickMs) / 3_600_000;
    cost += (estimateCost(counts, config.hoursPerMonth).runRatePerHour * tickMs) / 3_600_000;
    peakNodes = Math.max(peakNodes, sim.nodes.length);
    const t0 = performance.now();
    const plan = decide({ now, config, pools: sim.observations(now), nodes: sim.nodeInfos(now), pods: sim.podInfos(), pdbs: [], state });
    decideMs.push(performance.now() - t0);
    backoffs += plan.events.filter((e) => e.reason === 'PoolBackoff').length;
    sim.apply(plan, now);
    state = plan.state;
  }
  const c = sim.counters;
  const minutes = c.waitsMs.map((w) => w / 60_000);
  const served = c.servedGpuMs / 3_600_000;
  return {
    label: input.label,
    costUsd: cost,
    pendingGpuMinutes: c.pendingGpuMs / 60_000,
    pendingPerServedGpuHour: served > 0 ? c.pendingGpuMs / 60_000 / served : 0,
    waitP50Min: percentile(minutes, 0.5),
    waitP95Min: percentile(minutes, 0.95),
    waitMaxMin: Math.max(0, ...minutes),
    lostGpuHours: c.lostGpuMs / 3_600_000,
    servedGpuHours: served,
    interruptions: c.interruptions,
    launched: c.launched,
    failedLaunches: c.failedLaunches,
    backoffs,
    jobsDone: c.jobsDone,
    jobsSubmitted: next,
    peakNodes,
    nodeHours,
    decideMsP99: percentile(decideMs, 0.99),
  };
}
