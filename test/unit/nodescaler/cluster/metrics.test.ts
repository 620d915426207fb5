import { expect } from 'chai';
import { Registry } from 'prom-client';
import { NodeScalerMetrics, type TickObservation } from '../../../../src/nodescaler/cluster/metrics.js';
import { estimateCost } from '../../../../src/nodescaler/cost.js';
import { decide } from '../../../../src/nodescaler/decide.js';
import { emptyPoolMemory, emptyState } from '../../../../src/nodescaler/state.js';
import type { Snapshot } from '../../../../src/nodescaler/types.js';
import { config, node, pendingPod, runningPod, S, snapshot, T0 } from '../fixtures.js';

type Labels = Record<string, string>;

/** The value of one series, or undefined when the series is absent (what a dashboard would show). */
async function value(registry: Registry, name: string, labels: Labels = {}): Promise<number | undefined> {
  // Histogram series (`_count`, `_sum`) live under the histogram's own name.
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name || name === `${m.name}_count` || name === `${m.name}_sum`);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const values = (metric as unknown as { values: Array<{ value: number; labels: Labels; metricName?: string }> }).values;
  const hit = values.find((v) => (v.metricName === undefined || v.metricName === name) && Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l)
    && Object.keys(v.labels).length === Object.keys(labels).length);
  return hit?.value;
}

async function seriesCount(registry: Registry, name: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric as unknown as { values: unknown[] } | undefined)?.values.length ?? 0;
}

/**
 * A small cluster: reserved res-1 and on-demand od-1 full, spot-a-1 full but under a terminate
 * notice, one GPU pod pending for a minute and one for 5 s (still waiting).
 */
function smallTick(over: { cooldowns?: boolean } = {}): TickObservation {
  const cfg = config({ scaleUp: { cooldownSeconds: 300 }, scaleDown: { cooldownSeconds: 600 } });
  const state = emptyState();
  if (over.cooldowns) {
    state.pools.od = { ...emptyPoolMemory(), lastScaleUpAt: T0 - 100 * S };
    state.lastNonEmptyRemovalAt = T0 - 60 * S;
  }
  const snap = snapshot({
    config: cfg,
    state,
    nodes: [
      node('res-1', 'res'),
      node('od-1', 'od'),
      node('spot-a-1', 'spot-a', { interruption: { kind: 'terminate', source: 'test/itn', provider: 'aws', deadline: T0 + 120 * S } }),
    ],
    pods: [
      runningPod('r1', 'res-1', 8), runningPod('o1', 'od-1', 8), runningPod('s1', 'spot-a-1', 8),
      pendingPod('p-ready', { requests: { 'nvidia.com/gpu': 8 } }),
      pendingPod('p-new', { unschedulableSince: T0 - 5 * S }),
    ],
  });
  return { snapshot: snap, plan: decide(snap), durationSeconds: 0.042 };
}

describe('NodeScalerMetrics', () => {
  let registry: Registry;
  beforeEach(() => {
    registry = new Registry();
  });

  it('shows nothing tick-derived before the first tick (absent, not 0)', async () => {
    new NodeScalerMetrics(registry, config());
    expect(await value(registry, 'gpu_autoscaler_cluster_utilization')).to.equal(undefined);
    expect(await value(registry, 'gpu_autoscaler_estimated_monthly_savings_usd')).to.equal(undefined);
    expect(await value(registry, 'gpu_autoscaler_spot_savings_percentage')).to.equal(undefined);
    expect(await value(registry, 'gpu_autoscaler_last_reconcile_timestamp')).to.equal(undefined);
    expect(await value(registry, 'gpu_autoscaler_underutilized_nodes')).to.equal(undefined);
    expect(await value(registry, 'gpu_autoscaler_is_leader')).to.equal(0);
    expect(await value(registry, 'gpu_autoscaler_predictive_scaling_enabled')).to.equal(0);
  });

  it('reports what a dashboard shows for a small plan', async () => {
    const tick = smallTick();
    const { plan } = tick;
    const metrics = new NodeScalerMetrics(registry, tick.snapshot.config);
    metrics.observeTick(tick);

    // Nodes per pool, by the pool's capacity type; desired counts from the plan.
    expect(await value(registry, 'gpu_autoscaler_node_count', { pool: 'res', capacity_type: 'reserved' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_node_count', { pool: 'od', capacity_type: 'onDemand' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_node_count', { pool: 'spot-a', capacity_type: 'spot' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_node_count', { pool: 'spot-b', capacity_type: 'spot' })).to.equal(0);
    for (const p of plan.pools) expect(await value(registry, 'gpu_autoscaler_desired_node_count', { pool: p.name }), p.name).to.equal(p.desired);

    // The interrupted node is out of the allocation ratio: 16 of 16 GPUs on res-1 and od-1.
    expect(plan.summary.allocationRatio).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_cluster_utilization')).to.equal(1);

    // Pending pods by verdict: every status has a series; they add up to the pending GPU pods.
    expect(await value(registry, 'gpu_autoscaler_pending_pods', { status: 'waiting' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_pending_pods', { status: 'scale-up' })).to.equal(plan.summary.scaleUp);
    let pending = 0;
    for (const status of ['waiting', 'ignored', 'fits-existing', 'absorbed', 'scale-up', 'deferred', 'unsatisfiable']) {
      pending += (await value(registry, 'gpu_autoscaler_pending_pods', { status })) ?? NaN;
    }
    expect(pending).to.equal(plan.summary.pendingGpuPods).and.to.equal(2);

    // The terminate notice: one warning now, one interruption counted, spot-a in backoff.
    expect(await value(registry, 'gpu_autoscaler_spot_termination_warnings')).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_spot_interruptions_total', { pool: 'spot-a' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_spot_interruptions_total', { pool: 'spot-b' })).to.equal(0);
    expect(await value(registry, 'gpu_autoscaler_pool_availability', { pool: 'spot-a', state: 'backoff' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_pool_availability', { pool: 'spot-a', state: 'available' })).to.equal(0);
    expect(await value(registry, 'gpu_autoscaler_pool_availability', { pool: 'od', state: 'available' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_underutilized_nodes')).to.equal(0);

    expect(await value(registry, 'gpu_autoscaler_last_reconcile_timestamp')).to.equal(T0 / 1000);
    expect(await value(registry, 'gpu_autoscaler_reconcile_duration_seconds_count')).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_reconcile_duration_seconds_sum')).to.equal(0.042);
    // No cooldown running: 0 s remaining is a fact, not a placeholder.
    expect(await value(registry, 'gpu_autoscaler_scale_up_cooldown_remaining_seconds', { pool: 'od' })).to.equal(0);
    expect(await value(registry, 'gpu_autoscaler_scale_down_cooldown_remaining_seconds')).to.equal(0);
  });

  it('counts an interruption once, not on every tick that still sees the notice', async () => {
    const first = smallTick();
    const metrics = new NodeScalerMetrics(registry, first.snapshot.config);
    metrics.observeTick(first);
    const next: Snapshot = { ...first.snapshot, now: T0 + 10 * S, state: first.plan.state };
    metrics.observeTick({ snapshot: next, plan: decide(next), durationSeconds: 0.01 });
    expect(await value(registry, 'gpu_autoscaler_spot_interruptions_total', { pool: 'spot-a' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_spot_termination_warnings')).to.equal(1);
  });

  it('cost figures are estimateCost over max(requested, registered) nodes per pool (§4.9, H = hoursPerMonth)', async () => {
    const tick = smallTick();
    const metrics = new NodeScalerMetrics(registry, tick.snapshot.config);
    metrics.observeTick(tick);
    const pools = tick.snapshot.config.pools;
    const expected = estimateCost(pools.map((pool) => ({ pool, nodes: pool.name === 'spot-b' ? 0 : 1 })), 730);
    // By hand: reserved 730·20 (commitment 1), on-demand 730·32, spot 730·12; baseline 3·730·32.
    expect(expected.monthlyByTier).to.deep.equal({ reserved: 14_600, onDemand: 23_360, spot: 8_760 });
    expect(await value(registry, 'gpu_autoscaler_estimated_monthly_cost_usd', { capacity_type: 'reserved' })).to.equal(14_600);
    expect(await value(registry, 'gpu_autoscaler_estimated_monthly_cost_usd', { capacity_type: 'onDemand' })).to.equal(23_360);
    expect(await value(registry, 'gpu_autoscaler_estimated_monthly_cost_usd', { capacity_type: 'spot' })).to.equal(8_760);
    expect(await value(registry, 'gpu_autoscaler_estimated_monthly_savings_usd')).to.equal(expected.savingsMonthly).and.to.equal(70_080 - 46_720);
    expect(await value(registry, 'gpu_autoscaler_spot_savings_percentage')).to.be.closeTo((100 * expected.savingsSpotMonthly) / expected.baselineMonthly, 1e-9);
    expect((100 * 14_600) / 70_080).to.be.closeTo(20.833, 1e-3);
  });

  it('counts nodes still provisioning in the cost (requested above registered)', async () => {
    const cfg = config({ hoursPerMonth: 720 });
    const snap = snapshot({ config: cfg, nodes: [node('od-1', 'od')], pods: [runningPod('o1', 'od-1', 8)], pools: { od: { desired: 3 } } });
    const metrics = new NodeScalerMetrics(registry, cfg);
    metrics.observeTick({ snapshot: snap, plan: decide(snap), durationSeconds: 0.01 });
    expect(await value(registry, 'gpu_autoscaler_estimated_monthly_cost_usd', { capacity_type: 'onDemand' })).to.equal(3 * 32 * 720);
  });

  it('drops ratios that have no denominator: an empty cluster has no utilisation and no savings percentage', async () => {
    const cfg = config();
    const snap = snapshot({ config: cfg });
    const metrics = new NodeScalerMetrics(registry, cfg);
    metrics.observeTick(smallTick());
    expect(await value(registry, 'gpu_autoscaler_cluster_utilization')).to.equal(1);
    metrics.observeTick({ snapshot: snap, plan: decide(snap), durationSeconds: 0.01 });
    expect(await value(registry, 'gpu_autoscaler_cluster_utilization')).to.equal(undefined);
    expect(await value(registry, 'gpu_autoscaler_spot_savings_percentage')).to.equal(undefined);
    // The unused reserved commitment is still paid: a real cost and a negative saving.
    expect(await value(registry, 'gpu_autoscaler_estimated_monthly_cost_usd', { capacity_type: 'reserved' })).to.equal(14_600);
    expect(await value(registry, 'gpu_autoscaler_estimated_monthly_savings_usd')).to.equal(-14_600);
  });

  it('exports prediction series only while a prediction exists', async () => {
    const cfg = config({ predictive: { enabled: true } });
    const snap = snapshot({ config: cfg, nodes: [node('od-1', 'od'), node('od-2', 'od', { ready: false })] });
    const plan = decide(snap);
    const metrics = new NodeScalerMetrics(registry, cfg);
    expect(await value(registry, 'gpu_autoscaler_predictive_scaling_enabled')).to.equal(1);

    metrics.observeTick({ snapshot: snap, plan, durationSeconds: 0.01 });
    expect(await seriesCount(registry, 'gpu_autoscaler_predicted_utilization')).to.equal(0);
    expect(await seriesCount(registry, 'gpu_autoscaler_prediction_confidence')).to.equal(0);
    expect(await seriesCount(registry, 'gpu_autoscaler_predicted_gpu_demand')).to.equal(0);

    const predictions = [{ className: 'A100/nvidia.com/gpu', pools: ['res', 'spot-a', 'spot-b', 'od'], predictedGpus: 12, confidence: 0.8 }];
    metrics.observeTick({ snapshot: snap, plan, durationSeconds: 0.01, predictions });
    // 12 predicted GPUs over the 8 allocatable on the one ready node.
    expect(await value(registry, 'gpu_autoscaler_predicted_utilization', { class: 'A100/nvidia.com/gpu' })).to.equal(1.5);
    expect(await value(registry, 'gpu_autoscaler_predicted_gpu_demand', { class: 'A100/nvidia.com/gpu' })).to.equal(12);
    expect(await value(registry, 'gpu_autoscaler_prediction_confidence', { class: 'A100/nvidia.com/gpu' })).to.equal(0.8);

    metrics.observeTick({ snapshot: snap, plan, durationSeconds: 0.01 });
    expect(await seriesCount(registry, 'gpu_autoscaler_predicted_utilization')).to.equal(0);
    expect(await seriesCount(registry, 'gpu_autoscaler_prediction_confidence')).to.equal(0);
  });

  it('ignores predictions while predictive scaling is disabled', async () => {
    const tick = smallTick();
    const metrics = new NodeScalerMetrics(registry, tick.snapshot.config);
    metrics.observeTick({ ...tick, predictions: [{ className: 'c', pools: ['od'], predictedGpus: 8, confidence: 0.9 }] });
    expect(await seriesCount(registry, 'gpu_autoscaler_prediction_confidence')).to.equal(0);
  });

  it('reports remaining cooldowns from the plan state and the config', async () => {
    const tick = smallTick({ cooldowns: true });
    const metrics = new NodeScalerMetrics(registry, tick.snapshot.config);
    metrics.observeTick(tick);
    expect(await value(registry, 'gpu_autoscaler_scale_up_cooldown_remaining_seconds', { pool: 'od' })).to.equal(200);
    expect(await value(registry, 'gpu_autoscaler_scale_up_cooldown_remaining_seconds', { pool: 'res' })).to.equal(0);
    expect(await value(registry, 'gpu_autoscaler_scale_down_cooldown_remaining_seconds')).to.equal(540);
  });

  it('counts scaling actions, evictions and executor errors from the execution summary', async () => {
    const tick = smallTick();
    const metrics = new NodeScalerMetrics(registry, tick.snapshot.config);
    const plan = { ...tick.plan, pools: tick.plan.pools.map((p) => (p.name === 'od' ? { ...p, desired: p.current + 2 } : p)) };
    metrics.observeTick({
      ...tick,
      plan,
      execution: {
        poolsChanged: [{ pool: 'spot-b', from: 0, to: 1 }, { pool: 'spot-a', from: 1, to: 0 }],
        evictions: [{ result: 'evicted' }, { result: 'evicted' }, { result: 'pdb-blocked' }],
        errors: [{ step: 'setDesired od: HTTP 500' }],
      },
    });
    expect(await value(registry, 'gpu_autoscaler_scaling_actions_total', { action: 'scale_up', capacity_type: 'spot', success: 'true' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_scaling_actions_total', { action: 'scale_down', capacity_type: 'spot', success: 'true' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_scaling_actions_total', { action: 'scale_up', capacity_type: 'onDemand', success: 'false' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_evictions_total', { result: 'evicted' })).to.equal(2);
    expect(await value(registry, 'gpu_autoscaler_evictions_total', { result: 'pdb-blocked' })).to.equal(1);
    expect(await value(registry, 'gpu_autoscaler_reconcile_errors_total', { stage: 'execute:setDesired' })).to.equal(1);
  });

  it('tracks leadership, reconcile errors and dropped events', async () => {
    const metrics = new NodeScalerMetrics(registry, config());
    metrics.setLeader(true);
    expect(await value(registry, 'gpu_autoscaler_is_leader')).to.equal(1);
    metrics.setLeader(false);
    expect(await value(registry, 'gpu_autoscaler_is_leader')).to.equal(0);
    metrics.reconcileError('snapshot');
    metrics.reconcileError('snapshot');
    expect(await value(registry, 'gpu_autoscaler_reconcile_errors_total', { stage: 'snapshot' })).to.equal(2);
    expect(await value(registry, 'gpu_autoscaler_events_dropped_total')).to.equal(0);
    metrics.eventsDropped(4900);
    expect(await value(registry, 'gpu_autoscaler_events_dropped_total')).to.equal(4900);
  });

  it('exposes every metric of docs/node-scaler-metrics.md, and only those', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync('docs/node-scaler-metrics.md', 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `(gpu_autoscaler_[a-z_]+)`/gm)].map((m) => m[1]));
    new NodeScalerMetrics(registry, config());
    const registered = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    expect([...registered].sort()).to.deep.equal([...documented].sort());
  });
});
