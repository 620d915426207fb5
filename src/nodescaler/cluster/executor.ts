import type { Logger } from '../../util/log.js';
import { errorMessage } from '../../util/errors.js';
import type { Millis, NodeAction, Plan, PlanEvent, PoolPlan } from '../types.js';
import { mapBounded } from './bounded-concurrency.js';
import type { ActuatorObservation, EvictAction, EvictionOutcome, EventSink, Evictor, NodePatcher, PoolActuator } from './contracts.js';

/**
 * Applies a plan to the cluster (docs/node-scaler.md "Snapshot and plan"). The order matters:
 *
 * 1. taint/cordon — first, so no new pod lands on a node that is going (an interruption notice
 *    gives 30–120 s; the cordon must not wait behind slower calls);
 * 2. per pool: mark every removed node's Machine, then set the replica count — never shrink
 *    before the victim is marked, or the engine's delete policy picks a busy node. A failed mark
 *    keeps one replica more;
 * 3. evictions and deadline deletions;
 * 4. untaint/uncordon — after evictions, so an aborted drain never re-opens a node mid-way;
 * 5. Events.
 *
 * One failing step never stops the others: failures land in the report (and the log), and
 * the next tick's plan repeats whatever is still needed — every write is level-triggered.
 */

export interface ExecutorDeps {
  /** Pool name → its engine. */
  actuators: ReadonlyMap<string, PoolActuator>;
  /** This tick's observations; a pool missing here is never scaled. */
  observed: ReadonlyMap<string, ActuatorObservation>;
  patcher: NodePatcher;
  evictor: Evictor;
  events: EventSink;
  log: Logger;
  now: Millis;
}

export type ExecutionStep = 'taint' | 'cordon' | 'removeNode' | 'scale' | 'evict' | 'forceDelete' | 'untaint' | 'uncordon' | 'event';

export interface ExecutionError {
  step: ExecutionStep;
  /** Node, pool, `namespace/pod` or the event's object. */
  target: string;
  error: string;
}

export interface ExecutionReport {
  dryRun: boolean;
  /** Replica counts written (dry run: that would be written). */
  poolsChanged: Array<{ pool: string; from: number; to: number }>;
  /** Node patches and removal marks applied (dry run: planned). */
  nodeActions: number;
  evictions: EvictionOutcome[];
  errors: ExecutionError[];
  /** Dry run only: every write the plan asks for, in execution order. */
  wouldDo: string[];
}

type NodePatchAction = Extract<NodeAction, { kind: 'taint' | 'untaint' | 'cordon' | 'uncordon' }>;
type RemoveNodeAction = Extract<NodeAction, { kind: 'removeNode' }>;

/** Nodes patched at once; each node's own actions stay in plan order. */
const NODE_CONCURRENCY = 8;
const POOL_CONCURRENCY = 4;
const EVENT_CONCURRENCY = 4;

export async function executePlan(plan: Plan, deps: ExecutorDeps): Promise<ExecutionReport> {
  const report: ExecutionReport = { dryRun: plan.dryRun, poolsChanged: [], nodeActions: 0, evictions: [], errors: [], wouldDo: [] };
  const log = deps.log.child({ component: 'node-scaler' });
  const actions = splitActions(plan.nodeActions);
  if (plan.dryRun) {
    describeDryRun(plan, actions, deps, report);
    log.info({ dryRun: true, wouldDo: report.wouldDo.length }, 'dry run: plan not applied');
    return report;
  }
  const ctx: Ctx = { deps, log, report };
  await patchNodes(ctx, actions.closing);
  await mapBounded(poolNames(plan, actions.removals), POOL_CONCURRENCY, (pool) => scalePool(ctx, pool, plan, actions.removals));
  await evict(ctx, actions.evictions);
  await patchNodes(ctx, actions.opening);
  await emitEvents(ctx, plan.events);
  return report;
}

interface Ctx {
  deps: ExecutorDeps;
  log: Logger;
  report: ExecutionReport;
}

interface SplitActions {
  /** taint + cordon */
  closing: NodePatchAction[];
  removals: RemoveNodeAction[];
  evictions: EvictAction[];
  /** untaint + uncordon */
  opening: NodePatchAction[];
}

function splitActions(actions: readonly NodeAction[]): SplitActions {
  const out: SplitActions = { closing: [], removals: [], evictions: [], opening: [] };
  for (const a of actions) {
    if (a.kind === 'taint' || a.kind === 'cordon') out.closing.push(a);
    else if (a.kind === 'untaint' || a.kind === 'uncordon') out.opening.push(a);
    else if (a.kind === 'removeNode') out.removals.push(a);
    else if (a.kind === 'evict' || a.kind === 'forceDelete') out.evictions.push(a);
  }
  return out;
}

/** Plan pools plus any pool only named by a removal, in plan order. */
function poolNames(plan: Plan, removals: readonly RemoveNodeAction[]): string[] {
  return [...new Set([...plan.pools.map((p) => p.name), ...removals.map((r) => r.pool)])];
}

// ── steps ───────────────────────────────────────────────────────────────────────────────────

async function patchNodes(ctx: Ctx, actions: readonly NodePatchAction[]): Promise<void> {
  const byNode = new Map<string, NodePatchAction[]>();
  for (const a of actions) byNode.set(a.node, [...(byNode.get(a.node) ?? []), a]);
  await mapBounded([...byNode.values()], NODE_CONCURRENCY, async (nodeActions) => {
    for (const a of nodeActions) await patchNode(ctx, a);
  });
}

async function patchNode(ctx: Ctx, a: NodePatchAction): Promise<void> {
  const { patcher } = ctx.deps;
  const fields = { node: a.node, action: a.kind, reason: a.reason };
  try {
    if (a.kind === 'taint') await patcher.taint(a.node, a.taint);
    else if (a.kind === 'untaint') await patcher.untaint(a.node, a.key);
    else if (a.kind === 'cordon') await patcher.cordon(a.node);
    else await patcher.uncordon(a.node);
    ctx.report.nodeActions++;
    ctx.log.info(a.kind === 'taint' ? { ...fields, taint: a.taint } : a.kind === 'untaint' ? { ...fields, taint: a.key } : fields, `${a.kind} node`);
  } catch (err) {
    fail(ctx, a.kind, a.node, err, fields);
  }
}

async function scalePool(ctx: Ctx, pool: string, plan: Plan, allRemovals: readonly RemoveNodeAction[]): Promise<void> {
  const poolPlan = plan.pools.find((p) => p.name === pool);
  const removals = allRemovals.filter((r) => r.pool === pool);
  const actuator = ctx.deps.actuators.get(pool);
  const observed = ctx.deps.observed.get(pool);
  if (!actuator || !observed) {
    // Without this tick's count, writing one could undo someone else's change; skip until observed.
    if (removals.length > 0 || (poolPlan && poolPlan.desired !== poolPlan.current)) {
      const why = actuator ? 'the pool was not observed this tick' : 'no actuator serves the pool';
      fail(ctx, 'scale', pool, new Error(`${why}: replica count and removal marks left unchanged`), { pool });
    }
    return;
  }
  let failedMarks = 0;
  for (const r of removals) {
    if (await markForRemoval(ctx, actuator, r)) continue;
    failedMarks++;
  }
  if (!poolPlan) return;
  const to = poolPlan.desired + failedMarks;
  if (to === observed.desired) return;
  try {
    await actuator.setDesired(to);
    ctx.report.poolsChanged.push({ pool, from: observed.desired, to });
    ctx.log.info({ pool, action: 'scale', from: observed.desired, to, planned: poolPlan.desired, failedMarks, reasons: poolPlan.reasons }, 'pool replicas set');
  } catch (err) {
    fail(ctx, 'scale', pool, err, { pool, from: observed.desired, to });
  }
}

async function markForRemoval(ctx: Ctx, actuator: PoolActuator, r: RemoveNodeAction): Promise<boolean> {
  try {
    await actuator.markForRemoval(r.node);
    ctx.report.nodeActions++;
    ctx.log.info({ pool: r.pool, node: r.node, action: 'removeNode', reason: r.reason }, 'node marked for removal');
    return true;
  } catch (err) {
    fail(ctx, 'removeNode', r.node, err, { pool: r.pool, node: r.node });
    return false;
  }
}

async function evict(ctx: Ctx, actions: readonly EvictAction[]): Promise<void> {
  if (actions.length === 0) return;
  let outcomes: EvictionOutcome[];
  try {
    outcomes = await ctx.deps.evictor.apply(actions, ctx.deps.now);
  } catch (err) {
    fail(ctx, 'evict', 'evictor', err, {});
    return;
  }
  ctx.report.evictions = outcomes;
  const actionOf = new Map(actions.map((a) => [a.uid, a]));
  for (const o of outcomes) {
    const a = actionOf.get(o.uid);
    const fields = { node: a?.node, pod: `${o.pod.namespace}/${o.pod.name}`, uid: o.uid, action: a?.kind ?? 'evict', result: o.result, detail: o.detail };
    if (o.result === 'failed') fail(ctx, a?.kind ?? 'evict', fields.pod, new Error(o.detail ?? 'failed'), fields);
    else if (o.result === 'evicted' || o.result === 'deleted') ctx.log.info(fields, `pod ${o.result}`);
    else if (o.result === 'pdb-blocked') ctx.log.info(fields, 'eviction blocked by a PodDisruptionBudget; retried on a later tick');
    else ctx.log.debug(fields, `eviction ${o.result}`);
  }
}

async function emitEvents(ctx: Ctx, events: readonly PlanEvent[]): Promise<void> {
  await mapBounded(events, EVENT_CONCURRENCY, async (e) => {
    try {
      await ctx.deps.events.emit(e);
    } catch (err) {
      // Events explain; they never decide. Log and count, never throw.
      fail(ctx, 'event', involvedName(e), err, { reason: e.reason });
    }
  });
}

function fail(ctx: Ctx, step: ExecutionStep, target: string, err: unknown, fields: Record<string, unknown>): void {
  const error = errorMessage(err);
  ctx.report.errors.push({ step, target, error });
  ctx.log.warn({ ...fields, action: step, target, err: error }, `${step} failed`);
}

// ── dry run ─────────────────────────────────────────────────────────────────────────────────

function describeDryRun(plan: Plan, actions: SplitActions, deps: ExecutorDeps, report: ExecutionReport): void {
  const out = report.wouldDo;
  for (const a of actions.closing) out.push(describeNodeAction(a));
  for (const pool of poolNames(plan, actions.removals)) {
    for (const r of actions.removals.filter((x) => x.pool === pool)) out.push(`mark node ${r.node} of pool ${pool} for removal (${r.reason})`);
    const change = plannedChange(plan.pools.find((p) => p.name === pool), deps.observed.get(pool));
    if (change) {
      report.poolsChanged.push({ pool, ...change });
      out.push(`set replicas of pool ${pool} from ${change.from} to ${change.to}`);
    }
  }
  for (const a of actions.evictions) {
    const due = a.kind === 'evict' ? a.notBefore : a.at;
    const when = due <= deps.now ? 'now' : `at ${new Date(due).toISOString()}`;
    out.push(`${a.kind === 'evict' ? 'evict' : 'delete'} pod ${a.pod.namespace}/${a.pod.name} on node ${a.node} with grace ${a.graceSeconds} s ${when} (${a.reason})`);
  }
  for (const a of actions.opening) out.push(describeNodeAction(a));
  for (const e of plan.events) out.push(`event ${e.type} ${e.reason} on ${involvedName(e)}: ${e.message}`);
  report.nodeActions = actions.closing.length + actions.removals.length + actions.opening.length;
}

function plannedChange(poolPlan: PoolPlan | undefined, observed: ActuatorObservation | undefined): { from: number; to: number } | undefined {
  if (!poolPlan) return undefined;
  const from = observed?.desired ?? poolPlan.current;
  return poolPlan.desired === from ? undefined : { from, to: poolPlan.desired };
}

function describeNodeAction(a: NodePatchAction): string {
  if (a.kind === 'taint') return `taint node ${a.node} ${a.taint.key}=${a.taint.value ?? ''}:${a.taint.effect} (${a.reason})`;
  if (a.kind === 'untaint') return `untaint node ${a.node} ${a.key} (${a.reason})`;
  return `${a.kind} node ${a.node} (${a.reason})`;
}

function involvedName(e: PlanEvent): string {
  return `${e.involved.kind} ${e.involved.namespace ? `${e.involved.namespace}/` : ''}${e.involved.name}`;
}
