import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { NodeScalerConfig, PoolConfig } from '../config.js';
import { estimateCost } from '../cost.js';
import type { Availability, Plan, PodStatus, Snapshot } from '../types.js';

/**
 * The node-scaler's Prometheus metrics, with the gpuautoscaler design's names
 * (research/node-scaler.md §1.7) so existing dashboards work. Every value comes from the tick's
 * snapshot and plan; a figure that does not exist (no prediction, no GPU node to divide by,
 * no tick yet) is an absent series, never a made-up 0. docs/node-scaler-metrics.md has the
 * table with formulas.
 */

export interface ExecutionSummary {
  poolsChanged: ReadonlyArray<{ pool: string; from: number; to: number }>;
  evictions: ReadonlyArray<{ result: string }>;
  errors: ReadonlyArray<{ step: string }>;
}

/** The predictor's output for one GPU class (predictor.ts `predict()`), when one was made this tick. */
export interface ClassPrediction {
  className: string;
  /** Pools of the class: their ready nodes' allocatable GPUs are the denominator. */
  pools: readonly string[];
  predictedGpus: number;
  confidence: number;
}

export interface TickObservation {
  snapshot: Snapshot;
  plan: Plan;
  durationSeconds: number;
  execution?: ExecutionSummary;
  predictions?: readonly ClassPrediction[];
}

const POD_STATUSES = ['waiting', 'ignored', 'fits-existing', 'absorbed', 'scale-up', 'deferred', 'unsatisfiable'] as const satisfies readonly PodStatus[];
const AVAILABILITY_STATES = ['available', 'backoff', 'probing'] as const satisfies readonly Availability['state'][];

type G<L extends string = never> = Gauge<L>;

export class NodeScalerMetrics {
  private readonly scalingActions: Counter<'action' | 'capacity_type' | 'success'>;
  private readonly evictions: Counter<'result'>;
  private readonly interruptions: Counter<'pool'>;
  private readonly reconcileErrors: Counter<'stage'>;
  private readonly eventsDroppedTotal: Counter;
  private readonly duration: Histogram;
  private readonly nodeCount: G<'capacity_type' | 'pool'>;
  private readonly desiredNodes: G<'pool'>;
  private readonly utilization: G;
  private readonly pendingPods: G<'status'>;
  private readonly underutilized: G;
  private readonly terminationWarnings: G;
  private readonly monthlyCost: G<'capacity_type'>;
  private readonly monthlySavings: G;
  private readonly spotSavingsPct: G;
  private readonly predictiveEnabled: G;
  private readonly predictedUtilization: G<'class'>;
  private readonly predictedDemand: G<'class'>;
  private readonly predictionConfidence: G<'class'>;
  private readonly scaleUpCooldown: G<'pool'>;
  private readonly scaleDownCooldown: G;
  private readonly availability: G<'pool' | 'state'>;
  private readonly lastReconcile: G;
  private readonly leader: G;

  constructor(registry: Registry, config: NodeScalerConfig) {
    const registers = [registry];
    const gauge = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): G<L> => new Gauge<L>({ name, help, labelNames, registers });
    this.scalingActions = new Counter({
      name: 'gpu_autoscaler_scaling_actions_total', help: 'Pool replica changes applied (success="true") or attempted and failed, by direction and capacity type.',
      labelNames: ['action', 'capacity_type', 'success'], registers,
    });
    this.evictions = new Counter({ name: 'gpu_autoscaler_evictions_total', help: 'Eviction and force-delete outcomes of the executor, by result.', labelNames: ['result'], registers });
    this.interruptions = new Counter({ name: 'gpu_autoscaler_spot_interruptions_total', help: 'Spot terminate notices seen for the first time, by pool.', labelNames: ['pool'], registers });
    this.reconcileErrors = new Counter({ name: 'gpu_autoscaler_reconcile_errors_total', help: 'Failed reconcile stages (snapshot, decide, execute:<step>, …).', labelNames: ['stage'], registers });
    this.eventsDroppedTotal = new Counter({ name: 'gpu_autoscaler_events_dropped_total', help: 'Kubernetes Events not written because a tick exceeded its write budget.', registers });
    this.duration = new Histogram({
      name: 'gpu_autoscaler_reconcile_duration_seconds', help: 'Wall time of one reconcile tick (snapshot, decide, execute).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
    });
    this.nodeCount = gauge('gpu_autoscaler_node_count', 'Node objects of each configured pool.', ['capacity_type', 'pool']);
    this.desiredNodes = gauge('gpu_autoscaler_desired_node_count', 'Replicas the plan wants for each pool (removals included).', ['pool']);
    this.utilization = gauge('gpu_autoscaler_cluster_utilization', 'GPU allocation ratio ΣU/ΣA over ready, schedulable, non-interrupted GPU nodes (0–1).');
    this.pendingPods = gauge('gpu_autoscaler_pending_pods', 'Pending GPU pods by the plan\'s verdict.', ['status']);
    this.underutilized = gauge('gpu_autoscaler_underutilized_nodes', 'Managed nodes the plan found unneeded (scale-down candidates).');
    this.terminationWarnings = gauge('gpu_autoscaler_spot_termination_warnings', 'Nodes with a terminate notice now.');
    this.monthlyCost = gauge('gpu_autoscaler_estimated_monthly_cost_usd', 'Estimated monthly cost (USD) of running and provisioning nodes, by capacity type.', ['capacity_type']);
    this.monthlySavings = gauge('gpu_autoscaler_estimated_monthly_savings_usd', 'Estimated monthly savings (USD) against the same nodes at on-demand prices.');
    this.spotSavingsPct = gauge('gpu_autoscaler_spot_savings_percentage', 'Spot savings as a percentage of the all-on-demand baseline (0–100).');
    this.predictiveEnabled = gauge('gpu_autoscaler_predictive_scaling_enabled', '1 when predictive pre-warm is enabled.');
    this.predictedUtilization = gauge('gpu_autoscaler_predicted_utilization', 'Predicted GPU demand / allocatable GPUs of the class now (ratio; > 1 means more GPUs are needed).', ['class']);
    this.predictedDemand = gauge('gpu_autoscaler_predicted_gpu_demand', 'Predicted GPU demand of the class at now + lead time (GPU slots).', ['class']);
    this.predictionConfidence = gauge('gpu_autoscaler_prediction_confidence', 'Confidence of the class\'s prediction (0–1).', ['class']);
    this.scaleUpCooldown = gauge('gpu_autoscaler_scale_up_cooldown_remaining_seconds', 'Seconds until the pool may scale up again (scaleUp.cooldownSeconds).', ['pool']);
    this.scaleDownCooldown = gauge('gpu_autoscaler_scale_down_cooldown_remaining_seconds', 'Seconds until the next non-empty node removal is allowed (scaleDown.cooldownSeconds).');
    this.availability = gauge('gpu_autoscaler_pool_availability', '1 for the pool\'s current availability state (available, backoff, probing), 0 for the others.', ['pool', 'state']);
    this.lastReconcile = gauge('gpu_autoscaler_last_reconcile_timestamp', 'Unix time (seconds) of the last completed reconcile tick.');
    this.leader = gauge('gpu_autoscaler_is_leader', '1 while this replica holds the leader lease.');

    // Nothing is known before the first tick: absent, not 0.
    for (const g of [this.utilization, this.underutilized, this.terminationWarnings, this.monthlySavings, this.spotSavingsPct, this.scaleDownCooldown, this.lastReconcile]) g.remove();
    this.predictiveEnabled.set(config.predictive.enabled ? 1 : 0);
    this.leader.set(0);
    this.eventsDroppedTotal.inc(0);
  }

  observeTick(input: TickObservation): void {
    const { snapshot, plan } = input;
    const config = snapshot.config;
    this.duration.observe(input.durationSeconds);
    this.lastReconcile.set(plan.at / 1000);
    this.predictiveEnabled.set(config.predictive.enabled ? 1 : 0);
    this.observePools(snapshot, plan);
    this.observePods(plan);
    this.observeNodes(snapshot, plan);
    this.observeCost(snapshot);
    this.observeCooldowns(config, plan);
    this.observeInterruptions(snapshot, plan);
    this.observePredictions(snapshot, input.predictions ?? []);
    if (input.execution) this.observeExecution(config, plan, input.execution);
  }

  reconcileError(stage: string): void {
    this.reconcileErrors.inc({ stage });
  }

  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }

  /** Events the recorder dropped over its per-tick budget (KubeEventRecorder.startTick().dropped). */
  eventsDropped(count: number): void {
    if (count > 0) this.eventsDroppedTotal.inc(count);
  }

  private observePools(snapshot: Snapshot, plan: Plan): void {
    const registered = new Map<string, number>();
    for (const n of snapshot.nodes) if (n.pool !== undefined) registered.set(n.pool, (registered.get(n.pool) ?? 0) + 1);
    // reset() first so a pool removed from the config does not linger.
    this.nodeCount.reset();
    this.desiredNodes.reset();
    this.availability.reset();
    for (const pool of snapshot.config.pools) this.nodeCount.set({ pool: pool.name, capacity_type: pool.tier }, registered.get(pool.name) ?? 0);
    for (const p of plan.pools) {
      this.desiredNodes.set({ pool: p.name }, p.desired);
      for (const state of AVAILABILITY_STATES) this.availability.set({ pool: p.name, state }, p.availability === state ? 1 : 0);
    }
  }

  private observePods(plan: Plan): void {
    const counts = new Map<string, number>(POD_STATUSES.map((s) => [s, 0]));
    for (const v of plan.pods) counts.set(v.status, (counts.get(v.status) ?? 0) + 1);
    for (const [status, n] of counts) this.pendingPods.set({ status }, n);
  }

  private observeNodes(snapshot: Snapshot, plan: Plan): void {
    this.underutilized.set(plan.nodes.filter((n) => n.status === 'unneeded').length);
    this.terminationWarnings.set(snapshot.nodes.filter((n) => n.interruption?.kind === 'terminate').length);
    // decide() reports 0 when there is no GPU node to divide by: that is no value at all.
    if (plan.summary.allocationRatio > 0 || hasUsableGpuNode(snapshot, plan)) this.utilization.set(plan.summary.allocationRatio);
    else this.utilization.remove();
  }

  /** §4.9 over nodes running or provisioning: max(requested, registered) per pool. */
  private observeCost(snapshot: Snapshot): void {
    const cost = estimateCost(poolCounts(snapshot), snapshot.config.hoursPerMonth);
    for (const [tier, usd] of Object.entries(cost.monthlyByTier)) this.monthlyCost.set({ capacity_type: tier }, usd);
    this.monthlySavings.set(cost.savingsMonthly);
    if (cost.baselineMonthly > 0) this.spotSavingsPct.set((100 * cost.savingsSpotMonthly) / cost.baselineMonthly);
    else this.spotSavingsPct.remove();
  }

  private observeCooldowns(config: NodeScalerConfig, plan: Plan): void {
    const remaining = (last: number | undefined, seconds: number) => (last === undefined ? 0 : Math.max(0, (last + seconds * 1000 - plan.at) / 1000));
    this.scaleUpCooldown.reset();
    for (const pool of config.pools) {
      this.scaleUpCooldown.set({ pool: pool.name }, remaining(plan.state.pools[pool.name]?.lastScaleUpAt, config.scaleUp.cooldownSeconds));
    }
    this.scaleDownCooldown.set(remaining(plan.state.lastNonEmptyRemovalAt, config.scaleDown.cooldownSeconds));
  }

  /** decide() appends `now` to a spot pool's memory on each first sighting of a terminate notice. */
  private observeInterruptions(snapshot: Snapshot, plan: Plan): void {
    for (const pool of snapshot.config.pools) {
      if (pool.tier !== 'spot') continue;
      const before = snapshot.state.pools[pool.name]?.interruptions ?? [];
      const after = plan.state.pools[pool.name]?.interruptions ?? [];
      const seen = before.length > 0 ? Math.max(...before) : -Infinity;
      this.interruptions.inc({ pool: pool.name }, after.filter((t) => t > seen).length);
    }
  }

  private observePredictions(snapshot: Snapshot, predictions: readonly ClassPrediction[]): void {
    this.predictedUtilization.reset();
    this.predictedDemand.reset();
    this.predictionConfidence.reset();
    if (!snapshot.config.predictive.enabled) return;
    for (const p of predictions) {
      const labels = { class: p.className };
      this.predictedDemand.set(labels, p.predictedGpus);
      this.predictionConfidence.set(labels, p.confidence);
      const allocatable = classAllocatable(snapshot, p.pools);
      if (allocatable > 0) this.predictedUtilization.set(labels, p.predictedGpus / allocatable);
    }
  }

  private observeExecution(config: NodeScalerConfig, plan: Plan, exec: ExecutionSummary): void {
    const tierOf = new Map(config.pools.map((p) => [p.name, p.tier]));
    const changed = new Set<string>();
    for (const c of exec.poolsChanged) {
      if (c.to === c.from) continue;
      changed.add(c.pool);
      this.scalingActions.inc({ action: c.to > c.from ? 'scale_up' : 'scale_down', capacity_type: tierOf.get(c.pool) ?? 'unknown', success: 'true' });
    }
    // A planned change that did not happen, with an executor error naming the pool, failed.
    for (const p of plan.pools) {
      if (p.desired === p.current || changed.has(p.name) || !exec.errors.some((e) => namesPool(e.step, p.name))) continue;
      this.scalingActions.inc({ action: p.desired > p.current ? 'scale_up' : 'scale_down', capacity_type: p.tier, success: 'false' });
    }
    for (const e of exec.evictions) this.evictions.inc({ result: e.result });
    for (const e of exec.errors) this.reconcileErrors.inc({ stage: `execute:${stepKind(e.step)}` });
  }
}

function poolCounts(snapshot: Snapshot): Array<{ pool: PoolConfig; nodes: number }> {
  const observed = new Map(snapshot.pools.map((o) => [o.name, o]));
  return snapshot.config.pools.map((pool) => {
    const o = observed.get(pool.name);
    return { pool, nodes: o ? Math.max(o.desired, o.registered) : 0 };
  });
}

/** A node that can count in the allocation ratio exists (decide's `usable`, from the snapshot and verdicts). */
function hasUsableGpuNode(snapshot: Snapshot, plan: Plan): boolean {
  const status = new Map(plan.nodes.map((n) => [n.name, n.status]));
  const configured = new Set(snapshot.config.pools.map((p) => p.name));
  return snapshot.nodes.some((n) => {
    const s = status.get(n.name);
    return n.pool !== undefined && configured.has(n.pool) && n.ready && !n.unschedulable && n.gpuAllocatable > 0
      && s !== 'interrupted' && s !== 'removing' && s !== 'draining' && s !== 'unmanaged';
  });
}

function classAllocatable(snapshot: Snapshot, pools: readonly string[]): number {
  const names = new Set(pools);
  return snapshot.nodes.reduce((sum, n) => sum + (n.pool !== undefined && names.has(n.pool) && n.ready ? n.gpuAllocatable : 0), 0);
}

/** The pool name as a whole word of the executor's step text (`setDesired a100-od`, `a100-od: …`). */
function namesPool(step: string, pool: string): boolean {
  return step.split(/[^a-z0-9.-]+/i).includes(pool);
}

/** A bounded label value: the step's first word (`setDesired`, `cordon`, `evict`, …). */
function stepKind(step: string): string {
  return /^[A-Za-z][A-Za-z0-9_-]*/.exec(step)?.[0] ?? 'other';
}
