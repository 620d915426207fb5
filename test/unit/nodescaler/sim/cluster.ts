import type { NodeScalerConfig, PoolConfig, Tier } from '../../../../src/nodescaler/config.js';
import { slotsPerNode } from '../../../../src/nodescaler/config.js';
import type { InterruptionSignal, NodeInfo, Plan, PodInfo, PoolObservation, Taint } from '../../../../src/nodescaler/types.js';
import type { Job } from './workload.js';

/**
 * A small, deterministic model of what decide() acts on: a cloud that launches (or fails to
 * launch) instances per pool, kubelets that register and bring GPUs up late, a bin-packing
 * scheduler, jobs that checkpoint every 30 min, and an executor that applies plans. Only the
 * cloud is fake — as the design allows for what cannot run here.
 */

export interface CloudModel {
  /** Launch → Node registered. */
  provisionMs: Record<Tier, number>;
  /** Node registered → GPUs allocatable (device plugin). */
  gpuReadyMs: number;
  /** Windows [from, to) in which a pool has no capacity. */
  shortages: Record<string, Array<[number, number]>>;
  /** Pools whose engine reports a failed launch (the others only time out). */
  explicitFailures: ReadonlySet<string>;
  /** Spot interruption storm: each spot node gets a 2-minute notice with this probability per tick. */
  storm?: { from: number; to: number; probabilityPerTick: number };
}

interface SimNode {
  name: string;
  pool: PoolConfig;
  launchedAt: number;
  registerAt: number;
  gpuReadyAt: number;
  unschedulable: boolean;
  taints: Taint[];
  interruption?: InterruptionSignal;
  allocated: number;
}

interface SimPod {
  uid: string;
  job: Job;
  restarts: number;
  node?: SimNode;
  createdAt: number;
  unschedulableSince?: number;
  remainingMs: number;
  sinceCheckpointMs: number;
}

export interface SimCounters {
  pendingGpuMs: number;
  lostGpuMs: number;
  servedGpuMs: number;
  interruptions: number;
  launched: number;
  failedLaunches: number;
  waitsMs: number[];
  jobsDone: number;
}

const CHECKPOINT_MS = 30 * 60_000;

export class SimCluster {
  readonly nodes: SimNode[] = [];
  readonly pods: SimPod[] = [];
  readonly desired = new Map<string, number>();
  readonly failures = new Map<string, { at: number; reason: string }>();
  readonly counters: SimCounters = { pendingGpuMs: 0, lostGpuMs: 0, servedGpuMs: 0, interruptions: 0, launched: 0, failedLaunches: 0, waitsMs: [], jobsDone: 0 };
  private readonly waitStart = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly cfg: NodeScalerConfig,
    private readonly cloud: CloudModel,
    private readonly rand: () => number,
  ) {
    for (const p of cfg.pools) this.desired.set(p.name, p.min);
  }

  submit(job: Job, now: number): void {
    this.pods.push({ uid: job.id, job, restarts: 0, createdAt: now, remainingMs: job.durationMs, sinceCheckpointMs: 0 });
    this.waitStart.set(job.id, now);
  }

  /** Everything that happens between two decide() ticks. */
  advance(now: number, tickMs: number): void {
    this.expireInterrupted(now);
    this.storm(now);
    this.reconcilePools(now);
    this.runPods(tickMs);
    this.schedule(now);
    for (const p of this.pods) if (!p.node) this.counters.pendingGpuMs += p.job.gpus * tickMs;
  }

  /** Nodes billed now (launched and not yet gone), per pool. */
  billedNodes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const n of this.nodes) out.set(n.pool.name, (out.get(n.pool.name) ?? 0) + 1);
    return out;
  }

  private expireInterrupted(now: number): void {
    for (const n of [...this.nodes]) if (n.interruption?.deadline !== undefined && now >= n.interruption.deadline) this.deleteNode(n, now);
  }

  private storm(now: number): void {
    const s = this.cloud.storm;
    if (!s || now < s.from || now >= s.to) return;
    for (const n of this.nodes) {
      if (n.pool.tier !== 'spot' || n.interruption || now < n.registerAt) continue;
      if (this.rand() < s.probabilityPerTick) {
        n.interruption = { kind: 'terminate', deadline: now + 120_000, source: 'aws-node-termination-handler/spot-itn', provider: 'aws' };
        this.counters.interruptions++;
      }
    }
  }

  private short(pool: string, now: number): boolean {
    return (this.cloud.shortages[pool] ?? []).some(([from, to]) => now >= from && now < to);
  }

  /** The engine (a MachineSet) converges each pool on its desired count. */
  private reconcilePools(now: number): void {
    for (const pool of this.cfg.pools) {
      const live = this.nodes.filter((n) => n.pool === pool);
      const want = this.desired.get(pool.name) ?? 0;
      for (let i = live.length; i < want; i++) {
        if (this.short(pool.name, now)) {
          this.counters.failedLaunches++;
          if (this.cloud.explicitFailures.has(pool.name)) this.failures.set(pool.name, { at: now, reason: 'InsufficientInstanceCapacity' });
          break;
        }
        this.launch(pool, now);
      }
      if (live.length > want) this.shrink(live, live.length - want, now);
    }
  }

  private launch(pool: PoolConfig, now: number): void {
    const registerAt = now + this.cloud.provisionMs[pool.tier];
    this.nodes.push({ name: `${pool.name}-${this.seq++}`, pool, launchedAt: now, registerAt, gpuReadyAt: registerAt + this.cloud.gpuReadyMs, unschedulable: false, taints: [], allocated: 0 });
    this.counters.launched++;
  }

  /** Like MachineSet deletion: machines without a node first (newest first), then the emptiest nodes. */
  private shrink(live: SimNode[], surplus: number, now: number): void {
    const order = [...live].sort((a, b) => Number(a.registerAt <= now) - Number(b.registerAt <= now) || a.allocated - b.allocated || b.launchedAt - a.launchedAt);
    for (const n of order.slice(0, surplus)) this.deleteNode(n, now);
  }

  private deleteNode(n: SimNode, now: number): void {
    for (const p of this.pods) if (p.node === n) this.requeue(p, now);
    this.nodes.splice(this.nodes.indexOf(n), 1);
  }

  /** The pod's controller recreates it; work since the last checkpoint is lost. */
  private requeue(p: SimPod, now: number): void {
    if (!p.node) return;
    p.node.allocated -= p.job.gpus;
    p.node = undefined;
    this.counters.lostGpuMs += p.sinceCheckpointMs * p.job.gpus;
    p.remainingMs += p.sinceCheckpointMs;
    p.sinceCheckpointMs = 0;
    p.restarts++;
    p.uid = `${p.job.id}-r${p.restarts}`;
    p.createdAt = now;
    p.unschedulableSince = undefined;
    this.waitStart.set(p.uid, now);
  }

  private runPods(tickMs: number): void {
    for (const p of [...this.pods]) {
      if (!p.node) continue;
      p.remainingMs -= tickMs;
      p.sinceCheckpointMs += tickMs;
      this.counters.servedGpuMs += tickMs * p.job.gpus;
      if (p.sinceCheckpointMs >= CHECKPOINT_MS) p.sinceCheckpointMs = 0;
      if (p.remainingMs <= 0) {
        p.node.allocated -= p.job.gpus;
        this.pods.splice(this.pods.indexOf(p), 1);
        this.counters.jobsDone++;
      }
    }
  }

  /** A bin-packing scheduler (MostAllocated): the fullest node that fits. */
  private schedule(now: number): void {
    const pending = this.pods.filter((p) => !p.node).sort((a, b) => b.job.priority - a.job.priority || a.createdAt - b.createdAt);
    for (const p of pending) {
      let best: SimNode | undefined;
      for (const n of this.nodes) {
        if (!this.accepts(n, p, now)) continue;
        if (!best || n.allocated > best.allocated) best = n;
      }
      if (!best) {
        p.unschedulableSince ??= now;
        continue;
      }
      best.allocated += p.job.gpus;
      p.node = best;
      this.counters.waitsMs.push(now - (this.waitStart.get(p.uid) ?? now));
      this.waitStart.delete(p.uid);
    }
  }

  private accepts(n: SimNode, p: SimPod, now: number): boolean {
    if (now < n.gpuReadyAt || n.unschedulable || n.interruption) return false;
    if (n.taints.some((t) => t.effect === 'NoSchedule')) return false;
    if (p.job.onDemandOnly && n.pool.tier === 'spot') return false;
    return slotsPerNode(n.pool) - n.allocated >= p.job.gpus;
  }

  // ── the node-scaler's view and its executor ─────────────────────────────────────────────

  observations(now: number): PoolObservation[] {
    return this.cfg.pools.map((p) => {
      const failure = this.failures.get(p.name);
      return { name: p.name, desired: this.desired.get(p.name) ?? 0, registered: this.nodes.filter((n) => n.pool === p && n.registerAt <= now).length, ...(failure ? { capacityFailure: failure } : {}) };
    });
  }

  nodeInfos(now: number): NodeInfo[] {
    return this.nodes
      .filter((n) => n.registerAt <= now)
      .map((n) => {
        const slots = slotsPerNode(n.pool);
        // DCGM is missing for about 3 % of node-ticks: unknown data must never drive a scale-down.
        const known = this.rand() > 0.03;
        return {
          name: n.name,
          pool: n.pool.name,
          capacityType: n.pool.tier,
          createdAt: n.registerAt,
          ready: true,
          unschedulable: n.unschedulable,
          acceleratorLabel: true,
          gpuAllocatable: now >= n.gpuReadyAt ? slots : 0,
          gpuAllocated: n.allocated,
          ...(known ? { dcgm: { util: (n.allocated / slots) * 0.85, ageSeconds: 10 } } : {}),
          ...(n.interruption ? { interruption: n.interruption } : {}),
          taints: n.taints,
          annotations: {},
        };
      });
  }

  podInfos(): PodInfo[] {
    return this.pods.map((p) => ({
      uid: p.uid,
      namespace: 'ml',
      name: p.uid,
      ...(p.node ? { nodeName: p.node.name } : {}),
      phase: p.node ? 'Running' : 'Pending',
      priority: p.job.priority,
      requests: { 'nvidia.com/gpu': p.job.gpus },
      ...(p.node || p.unschedulableSince === undefined ? {} : { unschedulableSince: p.unschedulableSince }),
      owner: { kind: 'Job', name: p.job.id, controller: true },
      labels: { 'gpu-autoscaler.io/workload-type': p.job.workload },
      annotations: (p.job.onDemandOnly ? { 'node-scaler.io/tier': 'on-demand' } : {}) as Record<string, string>,
      terminationGracePeriodSeconds: 60,
    }));
  }

  /** The executor: level-triggered desired counts, targeted removals, node writes, evictions. */
  apply(plan: Plan, now: number): void {
    for (const p of plan.pools) this.desired.set(p.name, p.desired);
    for (const a of plan.nodeActions) {
      const node = 'node' in a ? this.nodes.find((n) => n.name === a.node) : undefined;
      if (!node) continue;
      switch (a.kind) {
        case 'removeNode':
          this.deleteNode(node, now);
          break;
        case 'cordon':
        case 'uncordon':
          node.unschedulable = a.kind === 'cordon';
          break;
        case 'taint':
          node.taints = [...node.taints.filter((t) => t.key !== a.taint.key), a.taint];
          break;
        case 'untaint':
          node.taints = node.taints.filter((t) => t.key !== a.key);
          break;
        case 'evict':
        case 'forceDelete': {
          const due = a.kind === 'evict' ? a.notBefore : a.at;
          const pod = this.pods.find((p) => p.uid === a.uid);
          if (pod && due <= now) this.requeue(pod, now);
          break;
        }
      }
    }
  }
}
