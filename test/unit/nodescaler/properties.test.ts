import { expect } from 'chai';
import fc from 'fast-check';
import { parseNodeScalerConfig } from '../../../src/nodescaler/config.js';
import { decide } from '../../../src/nodescaler/decide.js';
import { emptyPoolMemory, emptyState } from '../../../src/nodescaler/state.js';
import type { Availability, NodeInfo, Plan, PodInfo, Snapshot } from '../../../src/nodescaler/types.js';
import { HOUR, MIN, S, T0 } from './fixtures.js';

const SEED = 20260302;
const RUNS = Number(process.env.NODE_SCALER_PROPERTY_RUNS ?? 400);

const TIERS = ['reserved', 'spot', 'onDemand'] as const;

/** Picks values with the given relative weights (so rare states stay rare, as in real clusters). */
function weighted<T>(...options: Array<[number, T]>): fc.Arbitrary<T> {
  return fc.oneof(...options.map(([weight, value]) => ({ weight, arbitrary: fc.constant(value) })));
}

const poolArb = fc
  .record({
    tier: fc.constantFrom(...TIERS),
    gpus: fc.constantFrom(1, 2, 4, 8),
    od: fc.integer({ min: 4, max: 40 }),
    discount: fc.double({ min: 0.2, max: 1, noNaN: true }),
    min: fc.integer({ min: 0, max: 3 }),
    extra: fc.integer({ min: 0, max: 6 }),
    commitment: fc.integer({ min: 0, max: 3 }),
    weight: fc.integer({ min: 0, max: 3 }),
    nodes: fc.integer({ min: 0, max: 6 }),
    inflight: fc.integer({ min: 0, max: 3 }),
    availability: weighted<string>([6, 'available'], [1, 'backoff'], [1, 'probing'], [1, 'expired-backoff']),
    failure: weighted<boolean>([9, false], [1, true]),
  })
  .map((p) => ({ ...p, max: p.min + p.extra, commitment: p.tier === 'reserved' ? Math.min(p.commitment, p.min + p.extra) : undefined }));

const nodeArb = fc.record({
  allocated: fc.integer({ min: 0, max: 8 }),
  util: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  stale: fc.boolean(),
  ageMin: fc.integer({ min: 0, max: 120 }),
  interruption: weighted<'terminate' | 'rebalance' | 'maintenance' | undefined>([12, undefined], [1, 'terminate'], [1, 'rebalance'], [1, 'maintenance']),
  draining: weighted<boolean>([7, false], [1, true]),
  unneededMin: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
  podGpus: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
  bare: fc.boolean(),
});

const pendingArb = fc.record({
  gpus: weighted<number>([4, 1], [3, 2], [2, 4], [2, 8], [1, 16]),
  mig: weighted<boolean>([4, false], [1, true]),
  priority: fc.integer({ min: -20, max: 2000 }),
  ageS: fc.integer({ min: 0, max: 900 }),
  tier: weighted<string | undefined>([9, undefined], [1, 'on-demand'], [1, 'spot'], [1, 'reserved']),
});

const scenarioArb = fc.record({
  pools: fc.array(poolArb, { minLength: 2, maxLength: 5 }),
  nodes: fc.array(nodeArb, { maxLength: 14 }),
  pending: fc.array(pendingArb, { maxLength: 24 }),
  spotShare: fc.double({ min: 0.2, max: 1, noNaN: true }),
  lastScaleUpMin: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function availabilityOf(kind: string): Availability {
  switch (kind) {
    case 'backoff':
      return { state: 'backoff', level: 1, lastFailureAt: T0 - MIN, until: T0 + 9 * MIN, reason: 'test' };
    case 'expired-backoff':
      return { state: 'backoff', level: 0, lastFailureAt: T0 - 10 * MIN, until: T0 - 1, reason: 'test' };
    case 'probing':
      return { state: 'probing', level: 0, lastFailureAt: T0 - 10 * MIN, since: T0 - MIN, registeredAtStart: 0 };
    default:
      return { state: 'available', level: 0 };
  }
}

function build(sc: Scenario): Snapshot {
  const rawPools = sc.pools.map((p, i) => ({
    name: `p${i}`,
    tier: p.tier,
    gpuModel: 'A100',
    gpusPerNode: p.gpus,
    pricePerHour: p.tier === 'onDemand' ? p.od : Math.round(p.od * p.discount * 100) / 100,
    onDemandReferencePrice: p.od,
    min: p.min,
    max: p.max,
    ...(p.commitment !== undefined ? { commitment: p.commitment } : {}),
    weight: p.weight,
    ...(i === 0 ? { gpuResource: 'nvidia.com/mig-1g.10gb', slotsPerGpu: 7 } : {}),
    actuator: { kind: 'clusterApi', namespace: 'capi', name: `p${i}` },
  }));
  const config = parseNodeScalerConfig({ dryRun: false, spot: { maxShare: Math.max(0.2, sc.spotShare) }, pools: rawPools });
  const state = emptyState();
  const nodes: NodeInfo[] = [];
  const pods: PodInfo[] = [];
  let n = 0;
  sc.pools.forEach((p, i) => {
    state.pools[`p${i}`] = { ...emptyPoolMemory(), availability: availabilityOf(p.availability), lastScaleUpAt: sc.lastScaleUpMin === undefined ? undefined : T0 - sc.lastScaleUpMin * MIN };
  });
  sc.nodes.forEach((spec, k) => {
    const poolIdx = k % sc.pools.length;
    if (k >= sc.pools.reduce((s, p) => s + p.nodes, 0) + sc.pools.length) return;
    const pool = config.pools.find((x) => x.name === `p${poolIdx}`)!;
    const slots = pool.gpusPerNode * pool.slotsPerGpu;
    const name = `n${String(n++).padStart(2, '0')}`;
    const podGpus = spec.podGpus.map((g) => Math.min(g, slots));
    let used = 0;
    podGpus.forEach((g, j) => {
      if (used + g > slots) return;
      used += g;
      pods.push({
        uid: `${name}-pod${j}`,
        namespace: 'ml',
        name: `${name}-pod${j}`,
        nodeName: name,
        phase: 'Running',
        priority: 0,
        requests: g > 0 ? { [pool.gpuResource]: g } : {},
        owner: spec.bare ? undefined : { kind: 'ReplicaSet', name: 'rs', controller: true },
        labels: {},
        annotations: {},
      });
    });
    nodes.push({
      name,
      pool: pool.name,
      createdAt: T0 - spec.ageMin * MIN,
      ready: true,
      unschedulable: spec.draining,
      acceleratorLabel: true,
      gpuAllocatable: slots,
      gpuAllocated: used,
      dcgm: spec.util === undefined ? undefined : { util: spec.util, ageSeconds: spec.stale ? 120 : 5 },
      interruption: spec.interruption === undefined ? undefined : { kind: spec.interruption, source: 'test', provider: 'aws' },
      taints: spec.draining ? [{ key: 'node-scaler.io/draining', value: String(Math.floor((T0 - 5 * MIN) / 1000)), effect: 'NoSchedule' }] : [],
      annotations: {},
    });
    if (spec.unneededMin !== undefined) state.nodes[name] = { unneededSince: T0 - spec.unneededMin * MIN };
  });
  sc.pending.forEach((p, k) => {
    pods.push({
      uid: `pending-${k}`,
      namespace: 'ml',
      name: `pending-${k}`,
      phase: 'Pending',
      priority: p.priority,
      requests: p.mig ? { 'nvidia.com/mig-1g.10gb': p.gpus } : { 'nvidia.com/gpu': p.gpus },
      unschedulableSince: T0 - p.ageS * S,
      owner: { kind: 'Job', name: `job-${k}`, controller: true },
      labels: {},
      annotations: p.tier ? { 'node-scaler.io/tier': p.tier } : {},
    });
  });
  const pools = sc.pools.map((p, i) => {
    const registered = nodes.filter((x) => x.pool === `p${i}`).length;
    return { name: `p${i}`, desired: registered + p.inflight, registered, ...(p.failure ? { capacityFailure: { at: T0 - S, reason: 'ICE' } } : {}) };
  });
  return { now: T0, config, pools, nodes, pods, pdbs: [], state };
}

/** A minimal executor for node-level writes, so the next tick sees them applied. */
function applyNodeActions(nodes: readonly NodeInfo[], actions: Plan['nodeActions']): NodeInfo[] {
  return nodes.map((n) => {
    const out = structuredClone(n);
    for (const a of actions) {
      if (!('node' in a) || a.node !== n.name) continue;
      if (a.kind === 'cordon') out.unschedulable = true;
      if (a.kind === 'uncordon') out.unschedulable = false;
      if (a.kind === 'taint') out.taints = [...out.taints.filter((t) => t.key !== a.taint.key), a.taint];
      if (a.kind === 'untaint') out.taints = out.taints.filter((t) => t.key !== a.key);
    }
    return out;
  });
}

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function check<T extends [unknown, ...unknown[]]>(prop: fc.IProperty<T>): void {
  fc.assert(prop, { seed: SEED, numRuns: RUNS });
}

describe('node-scaler decide() properties', () => {
  it('never plans a pool above its max', () => {
    check(
      fc.property(scenarioArb, (sc) => {
        const snap = build(sc);
        for (const p of decide(snap).pools) expect(p.desired, p.name).to.be.at.most(snap.config.pools.find((c) => c.name === p.name)!.max);
      }),
    );
  });

  it('never plans a pool below its min or its commitment', () => {
    check(
      fc.property(scenarioArb, (sc) => {
        const snap = build(sc);
        for (const p of decide(snap).pools) {
          const cfg = snap.config.pools.find((c) => c.name === p.name)!;
          expect(p.desired, p.name).to.be.at.least(Math.max(cfg.min, cfg.commitment ?? 0));
        }
      }),
    );
  });

  it('never picks a pool in backoff for a pod (only a floor may add to it)', () => {
    check(
      fc.property(scenarioArb, (sc) => {
        const plan = decide(build(sc));
        const backoff = new Set(plan.pools.filter((p) => p.availability === 'backoff').map((p) => p.name));
        for (const v of plan.pods) if (v.status === 'scale-up') expect(backoff.has(v.pool!), `${v.name} → ${v.pool}`).to.equal(false);
        for (const p of plan.pools) {
          if (!backoff.has(p.name)) continue;
          for (const r of p.reasons.filter((x) => x.startsWith('+'))) expect(r).to.match(/floor/);
        }
      }),
    );
  });

  it('is deterministic and does not depend on input order', () => {
    check(
      fc.property(scenarioArb, fc.integer({ min: 1, max: 1 << 30 }), (sc, seed) => {
        const snap = build(sc);
        const plan = decide(snap);
        expect(decide(structuredClone(snap))).to.deep.equal(plan);
        const shuffled: Snapshot = {
          ...structuredClone(snap),
          nodes: shuffle(snap.nodes, seed),
          pods: shuffle(snap.pods, seed + 1),
          pools: shuffle(snap.pools, seed + 2),
          config: { ...snap.config, pools: shuffle(snap.config.pools, seed + 3) },
        };
        expect(decide(shuffled)).to.deep.equal(plan);
      }),
    );
  });

  it('does not modify its snapshot', () => {
    check(
      fc.property(scenarioArb, (sc) => {
        const snap = build(sc);
        const copy = structuredClone(snap);
        decide(snap);
        expect(snap).to.deep.equal(copy);
      }),
    );
  });

  it('never starts removing an allocated node on unknown or stale DCGM data', () => {
    check(
      fc.property(scenarioArb, (sc) => {
        const snap = build(sc);
        const plan = decide(snap);
        for (const n of snap.nodes) {
          const unknown = n.dcgm === undefined || n.dcgm.ageSeconds > snap.config.dcgm.maxAgeSeconds;
          if (!unknown || n.gpuAllocated === 0 || n.interruption || n.taints.length > 0) continue;
          const touched = plan.nodeActions.some((a) => 'node' in a && a.node === n.name && (a.kind === 'removeNode' || (a.kind === 'taint' && a.taint.key === 'node-scaler.io/draining')));
          expect(touched, n.name).to.equal(false);
        }
      }),
    );
  });

  it('explains every action and every pod verdict', () => {
    check(
      fc.property(scenarioArb, (sc) => {
        const plan = decide(build(sc));
        for (const a of plan.nodeActions) expect(a.reason, a.kind).to.be.a('string').that.is.not.empty;
        for (const v of plan.pods) expect(v.reason, v.name).to.be.a('string').that.is.not.empty;
        for (const p of plan.pools) if (p.desired !== p.current) expect(p.reasons, p.name).to.not.be.empty;
      }),
    );
  });

  it('adds spot nodes for pods only while the spot share stays under the cap', () => {
    check(
      fc.property(scenarioArb, (sc) => {
        const snap = build(sc);
        const before = decide({ ...snap, pods: snap.pods.filter((p) => p.nodeName !== undefined) }).summary.spotShare;
        const plan = decide(snap);
        const spotForPods = plan.pods.some((v) => v.status === 'scale-up' && plan.pools.find((p) => p.name === v.pool)!.tier === 'spot');
        if (spotForPods) expect(plan.summary.spotShare).to.be.at.most(Math.max(before, plan.summary.effectiveSpotMaxShare) + 1e-9);
      }),
    );
  });

  it('feeds its state back without drift: a second identical tick asks for nothing new', () => {
    check(
      fc.property(scenarioArb, (sc) => {
        const snap = build(sc);
        const first = decide(snap);
        // Apply the plan to the observations only (no node appears yet), ten seconds later.
        const removedNodes = new Set(first.nodeActions.filter((a) => a.kind === 'removeNode').map((a) => ('node' in a ? a.node : '')));
        const nodes = applyNodeActions(snap.nodes, first.nodeActions).filter((n) => !removedNodes.has(n.name));
        const pools = snap.pools.map((o) => ({ ...o, desired: first.pools.find((p) => p.name === o.name)!.desired, registered: nodes.filter((n) => n.pool === o.name).length }));
        const second = decide({ ...snap, now: snap.now + 10 * S, pools, state: first.state, nodes });
        const scaleUpPods = second.pods.filter((v) => v.status === 'scale-up' && first.pods.find((f) => f.uid === v.uid)?.status !== 'deferred');
        // Pods placed last tick are absorbed by what was requested, unless their pool went into backoff.
        for (const v of scaleUpPods) {
          const before = first.pods.find((f) => f.uid === v.uid);
          if (before?.status === 'scale-up') expect(second.pools.find((p) => p.name === before.pool)!.availability, v.name).to.not.equal('available');
        }
      }),
    );
  });

  it('keeps the clock: nothing in the plan is later than now + one hour except backoff ends and pre-warm', () => {
    check(
      fc.property(scenarioArb, (sc) => {
        const plan = decide(build(sc));
        for (const a of plan.nodeActions) {
          if (a.kind === 'evict') expect(a.notBefore).to.be.within(T0, T0 + HOUR);
          if (a.kind === 'forceDelete') expect(a.at).to.be.within(T0 - HOUR, T0 + HOUR);
        }
      }),
    );
  });
});
