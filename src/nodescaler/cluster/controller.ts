import type { V1Node } from '@kubernetes/client-node';
import type { NodeScalerConfig } from '../config.js';
import { decide } from '../decide.js';
import { TAINT } from '../names.js';
import { emptyState } from '../state.js';
import type { Millis, Plan, PrewarmTarget, ScalerState, Snapshot } from '../types.js';
import type { Logger } from '../../util/log.js';
import { errorMessage } from '../../util/errors.js';
import type { ActuatorObservation, EventSink, Evictor, NodePatcher, PoolActuator } from './contracts.js';
import { nodeInterruption } from './convert-node.js';
import type { DemandHistory } from './demand-history.js';
import { executePlan, type ExecutionReport } from './executor.js';
import type { NodeScalerMetrics } from './metrics.js';
import { prewarmTargets, recordDemand, type ClassForecast } from './prewarm-targets.js';
import { PodInfoCache } from './pod-info-cache.js';
import { buildSnapshot, type ClusterObjects } from './snapshot-builder.js';

/** Plan lines logged per kind at debug level: enough to explain a tick, never a flood. */
const DETAIL_LIMIT = 50;

/** What the controller reads the cluster through (ClusterWatch in production). */
export interface ClusterObjectsSource {
  objects(): ClusterObjects;
  onNodeChange(listener: (node: V1Node) => void): void;
}

export interface ControllerDeps {
  config: NodeScalerConfig;
  log: Logger;
  watch: ClusterObjectsSource;
  actuators: ReadonlyMap<string, PoolActuator>;
  patcher: NodePatcher;
  evictor: Evictor;
  events: EventSink;
  /** Per-node DCGM utilisation (0–1) over the window; undefined = unknown. */
  dcgm: (node: string, now: Millis) => { util: number; ageSeconds: number } | undefined;
  metrics?: NodeScalerMetrics;
  history?: DemandHistory;
  /** Only the Lease holder acts; standbys keep watching. */
  isLeader: () => boolean;
  /** Where plan.state survives a failover; without it a new leader starts from empty memory. */
  stateStore?: { load(): Promise<ScalerState | undefined>; save(state: ScalerState): Promise<void> };
  /** Called as each leader tick starts (e.g. to refill the event write budget). */
  beforeTick?: () => void;
  now?: () => Millis;
}

export type TickOutcome =
  | { kind: 'standby' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'done'; snapshot: Snapshot; plan: Plan; report: ExecutionReport; durationSeconds: number };

/**
 * The reconcile loop: every scanIntervalSeconds (and at once when a node shows an interruption
 * notice) observe the pools, build a snapshot, decide, execute. Ticks never overlap; a request
 * that arrives during a tick runs one more tick right after it.
 */
export class NodeScalerController {
  private state: ScalerState = emptyState();
  private prewarm: PrewarmTarget[] = [];
  private readonly podCache = new PodInfoCache();
  private forecasts: ClassForecast[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private resuming: Promise<void> | undefined;
  /** The last completed tick, for `--once` and tests. */
  lastOutcome: TickOutcome | undefined;

  constructor(private readonly deps: ControllerDeps) {
    deps.watch.onNodeChange((node) => {
      if (this.isNewNotice(node)) void this.requestTick('interruption notice');
    });
  }

  start(): void {
    const every = this.deps.config.scanIntervalSeconds * 1000;
    this.timer = setInterval(() => void this.requestTick('interval'), every);
    void this.requestTick('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /**
   * Takes over memory when this replica starts leading: the saved state of the previous leader
   * (backoffs, requests in flight, timers), else empty memory re-derived from the cluster.
   * Ticks wait for it.
   */
  resume(): Promise<void> {
    this.resuming = (async () => {
      this.prewarm = [];
      try {
        this.state = (await this.deps.stateStore?.load()) ?? emptyState();
      } catch (err) {
        this.state = emptyState();
        this.deps.metrics?.reconcileError('state');
        this.deps.log.error({ component: 'node-scaler', err: errorMessage(err) }, 'could not load the saved state; starting from empty memory');
      }
    })();
    return this.resuming;
  }

  /** Resolves when the tick it asked for (or one started after it) has finished. */
  requestTick(why: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop(why).finally(() => (this.running = undefined));
    return this.running;
  }

  private async loop(why: string): Promise<void> {
    let reason = why;
    do {
      this.again = false;
      this.lastOutcome = await this.tickSafely(reason);
      reason = 'requested during the previous tick';
    } while (this.again && !this.stopped);
  }

  private async tickSafely(why: string): Promise<TickOutcome> {
    try {
      return await this.tick(why);
    } catch (err) {
      this.deps.metrics?.reconcileError('tick');
      this.deps.log.error({ component: 'node-scaler', err: errorMessage(err), why }, 'tick failed');
      return { kind: 'skipped', reason: errorMessage(err) };
    }
  }

  async tick(why = 'manual'): Promise<TickOutcome> {
    const { deps } = this;
    if (!deps.isLeader()) return { kind: 'standby' };
    await this.resuming;
    const started = performance.now();
    deps.beforeTick?.();
    const observed = await this.observePools();
    if (observed.failures.length > 0) {
      // Without every pool's replica count, decide() would take a missing pool for an empty one.
      const reason = observed.failures.join('; ');
      deps.metrics?.reconcileError('observe');
      deps.log.error({ component: 'node-scaler', why, reason }, 'tick skipped: a pool could not be observed');
      return { kind: 'skipped', reason };
    }
    const now = deps.now?.() ?? Date.now();
    const snapshot = buildSnapshot({ now, config: deps.config, state: this.state, objects: deps.watch.objects(), observations: observed.ok, dcgm: deps.dcgm, podCache: this.podCache });
    snapshot.prewarm = this.updatePrewarm(snapshot);
    const plan = decide(snapshot);
    const report = await executePlan(plan, { actuators: deps.actuators, observed: observed.ok, patcher: deps.patcher, evictor: deps.evictor, events: deps.events, log: deps.log, now });
    this.state = plan.state;
    await this.saveState();
    if (deps.history) recordDemand(deps.history, snapshot, plan);
    const durationSeconds = (performance.now() - started) / 1000;
    deps.metrics?.observeTick({ snapshot, plan, durationSeconds, execution: report, predictions: this.forecasts });
    this.logTick(why, plan, report, durationSeconds);
    return { kind: 'done', snapshot, plan, report, durationSeconds };
  }

  private async observePools(): Promise<{ ok: Map<string, ActuatorObservation>; failures: string[] }> {
    const ok = new Map<string, ActuatorObservation>();
    const failures: string[] = [];
    await Promise.all(
      this.deps.config.pools.map(async (pool) => {
        const actuator = this.deps.actuators.get(pool.name);
        if (!actuator) return void failures.push(`pool ${pool.name}: no actuator for kind ${pool.actuator.kind}`);
        try {
          ok.set(pool.name, await actuator.observe());
        } catch (err) {
          failures.push(`pool ${pool.name}: ${errorMessage(err)}`);
        }
      }),
    );
    return { ok, failures };
  }

  /** A failed save is reported, never fatal: the memory is still in this process. */
  private async saveState(): Promise<void> {
    try {
      await this.deps.stateStore?.save(this.state);
    } catch (err) {
      this.deps.metrics?.reconcileError('state');
      this.deps.log.warn({ component: 'node-scaler', err: errorMessage(err) }, 'could not save the state');
    }
  }

  /** Targets stay in force until they expire; a newer one for the same class replaces the older. */
  private updatePrewarm(snapshot: Snapshot): PrewarmTarget[] {
    if (!this.deps.history) return [];
    const { targets: fresh, forecasts } = prewarmTargets(this.deps.history, snapshot);
    this.forecasts = forecasts;
    const byClass = new Map(this.prewarm.filter((t) => t.until > snapshot.now).map((t) => [t.className, t]));
    for (const t of fresh) byClass.set(t.className, t);
    this.prewarm = [...byClass.values()];
    return this.prewarm;
  }

  /** A notice not reacted to yet: tick now rather than at the next interval (cordon within 1 s). */
  private isNewNotice(node: V1Node): boolean {
    const name = node.metadata?.name;
    if (!name || this.state.nodes[name]?.interruptionSeenAt !== undefined) return false;
    const signal = nodeInterruption(node);
    if (!signal) return false;
    const ours = signal.kind === 'rebalance' ? TAINT.atRisk : TAINT.interrupted;
    return !(node.spec?.taints ?? []).some((t) => t.key === ours);
  }

  private logTick(why: string, plan: Plan, report: ExecutionReport, durationSeconds: number): void {
    const s = plan.summary;
    const acted = report.poolsChanged.length > 0 || report.nodeActions > 0 || report.evictions.some((e) => e.result === 'evicted' || e.result === 'deleted');
    const fields = {
      component: 'node-scaler', why, dryRun: plan.dryRun, durationMs: Math.round(durationSeconds * 1000),
      pendingGpuPods: s.pendingGpuPods, newNodes: s.newNodes, removedNodes: s.removedNodes, drainingNodes: s.drainingNodes,
      poolsChanged: report.poolsChanged, errors: report.errors.length,
    };
    if (report.errors.length > 0) this.deps.log.warn({ ...fields, firstError: report.errors[0] }, 'tick done with errors');
    else if (acted || s.newNodes > 0 || s.removedNodes > 0) this.deps.log.info(fields, 'tick done');
    else this.deps.log.debug(fields, 'tick done');
    if (this.deps.log.isLevelEnabled('debug')) this.logPlanDetail(plan);
  }

  /** Why, for each action and each pod or node that is not simply in use (debug level; capped per tick). */
  private logPlanDetail(plan: Plan): void {
    const log = this.deps.log;
    for (const a of plan.nodeActions.slice(0, DETAIL_LIMIT)) log.debug({ component: 'node-scaler', action: a.kind, node: a.node, pod: 'pod' in a ? `${a.pod.namespace}/${a.pod.name}` : undefined, reason: a.reason }, 'planned node action');
    for (const v of plan.pods.filter((p) => p.status !== 'ignored').slice(0, DETAIL_LIMIT)) log.debug({ component: 'node-scaler', pod: `${v.namespace}/${v.name}`, status: v.status, pool: v.pool, reason: v.reason, skipped: v.skipped }, 'pod verdict');
    for (const n of plan.nodes.filter((x) => x.status !== 'in-use' && x.status !== 'unmanaged').slice(0, DETAIL_LIMIT)) log.debug({ component: 'node-scaler', node: n.name, pool: n.pool, status: n.status, reason: n.reason }, 'node verdict');
  }
}
