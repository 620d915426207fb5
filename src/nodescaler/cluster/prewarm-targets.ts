import { slotsPerNode, type NodeScalerConfig, type PoolConfig } from '../config.js';
import { leadTimeMinutes, predict, prewarmTarget } from '../predictor.js';
import type { Plan, PrewarmTarget, Snapshot } from '../types.js';
import type { DemandHistory } from './demand-history.js';

/** Pools that offer the same GPU (model and resource) form one class: pre-warm is per class, any tier. */
export function gpuClasses(config: NodeScalerConfig): Map<string, PoolConfig[]> {
  const classes = new Map<string, PoolConfig[]>();
  for (const pool of config.pools) {
    const name = `${pool.gpuModel}/${pool.gpuResource}`;
    classes.set(name, [...(classes.get(name) ?? []), pool]);
  }
  return classes;
}

interface ClassSupply {
  allocatable: number;
  inflight: number;
  allocated: number;
}

function supply(snapshot: Snapshot, pools: readonly PoolConfig[]): ClassSupply {
  const names = new Set(pools.map((p) => p.name));
  const out: ClassSupply = { allocatable: 0, inflight: 0, allocated: 0 };
  for (const node of snapshot.nodes) {
    if (node.pool === undefined || !names.has(node.pool)) continue;
    out.allocated += node.gpuAllocated;
    if (node.ready) out.allocatable += node.gpuAllocatable;
  }
  for (const obs of snapshot.pools) {
    const pool = pools.find((p) => p.name === obs.name);
    if (pool) out.inflight += Math.max(0, obs.desired - obs.registered) * slotsPerNode(pool);
  }
  return out;
}

/** Demand d(t) of each class after a tick: allocated GPU slots plus the pending pods placed in the class. */
export function recordDemand(history: DemandHistory, snapshot: Snapshot, plan: Plan): void {
  for (const [className, pools] of gpuClasses(snapshot.config)) {
    const names = new Set(pools.map((p) => p.name));
    let pending = 0;
    for (const v of plan.pods) if (v.pool !== undefined && names.has(v.pool) && v.status !== 'ignored' && v.status !== 'waiting') pending += v.gpus;
    history.record(className, snapshot.now, supply(snapshot, pools).allocated + pending);
  }
}

export interface ClassForecast {
  className: string;
  pools: string[];
  predictedGpus: number;
  confidence: number;
}

/**
 * The predictor's floors for the next tick, and the forecast behind them (for metrics). Provisioning
 * latencies are not measured yet, so the lead time is predictive.defaultLeadMinutes (docs/node-scaler.md).
 */
export function prewarmTargets(history: DemandHistory, snapshot: Snapshot): { targets: PrewarmTarget[]; forecasts: ClassForecast[] } {
  const cfg = snapshot.config.predictive;
  const out = { targets: [] as PrewarmTarget[], forecasts: [] as ClassForecast[] };
  if (!cfg.enabled) return out;
  for (const [className, pools] of gpuClasses(snapshot.config)) {
    const s = supply(snapshot, pools);
    const names = pools.map((p) => p.name);
    const samples = history.samples(className);
    const p = predict(samples, snapshot.now, leadTimeMinutes([], cfg), cfg);
    // Fewer samples than minSamples is no forecast at all: nothing is published for the class.
    if (p.samples >= cfg.minSamples) out.forecasts.push({ className, pools: names, predictedGpus: p.predictedGpus, confidence: p.confidence });
    const target = prewarmTarget({ className, pools: names, samples, now: snapshot.now, allocatable: s.allocatable, inflight: s.inflight, latenciesSeconds: [], cfg });
    if (target) out.targets.push(target);
  }
  return out;
}
