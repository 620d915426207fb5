import { expect } from 'chai';
import { emptyPoolMemory, emptyState } from '../../../src/nodescaler/state.js';
import type { Availability, InFlightRequest, ScalerState } from '../../../src/nodescaler/types.js';
import { HOUR, S, T0, baseNodes, node, pendingPod, poolPlan, run, verdictOf } from './fixtures.js';

function stateWith(pool: string, availability: Availability, requests: InFlightRequest[] = []): ScalerState {
  const st = emptyState();
  st.pools[pool] = { ...emptyPoolMemory(), availability, requests };
  return st;
}

const big = (name: string) => pendingPod(name, { requests: { 'nvidia.com/gpu': 8 } });

describe('node-scaler §4.3 pool availability state machine', () => {
  it('backs off on an explicit capacity failure, cancels the unfulfilled request and falls back in the same tick', () => {
    const plan = run({
      nodes: [...baseNodes(), node('spot-a-1', 'spot-a')],
      pods: [big('p')],
      pools: { 'spot-a': { desired: 2, registered: 1, capacityFailure: { at: T0 - 5 * S, reason: 'InsufficientInstanceCapacity' } } },
    });
    const spotA = poolPlan(plan, 'spot-a');
    expect(spotA.availability).to.equal('backoff');
    expect(spotA.desired).to.equal(1);
    expect(spotA.reasons.join(' ')).to.match(/cancelled 1 unfulfilled node/);
    expect(verdictOf(plan, 'p')).to.include({ status: 'scale-up', pool: 'spot-b' });
    expect(plan.state.pools['spot-a']!.availability).to.deep.include({ state: 'backoff', level: 0, until: T0 + 300 * S });
    expect(plan.events.some((e) => e.reason === 'PoolBackoff' && e.involved.name === 'spot-a')).to.equal(true);
  });

  it('acts on each explicit failure once', () => {
    const failure = { at: T0 - HOUR, reason: 'quota' };
    const st = stateWith('spot-a', { state: 'available', level: 0 });
    st.pools['spot-a']!.handledFailureAt = failure.at;
    const plan = run({ nodes: baseNodes(), pods: [big('p')], state: st, pools: { 'spot-a': { capacityFailure: failure } } });
    expect(poolPlan(plan, 'spot-a').availability).to.equal('available');
    expect(verdictOf(plan, 'p').pool).to.equal('spot-a');
  });

  it('times out a request not registered within the provision timeout (600 s): at 600 s it still waits, after it backs off', () => {
    const pools = { 'spot-a': { desired: 1, registered: 0 } };
    const st = () => stateWith('spot-a', { state: 'available', level: 0 }, [{ nodes: 1, at: T0 - 600 * S }]);
    const atEdge = run({ nodes: baseNodes(), pods: [big('p')], pools, state: st() });
    expect(poolPlan(atEdge, 'spot-a').availability).to.equal('available');
    expect(verdictOf(atEdge, 'p').status).to.equal('absorbed');
    const after = run({ now: T0 + 1, nodes: baseNodes(), pods: [big('p')], pools, state: st() });
    expect(poolPlan(after, 'spot-a')).to.include({ availability: 'backoff', desired: 0 });
    expect(verdictOf(after, 'p')).to.include({ status: 'scale-up', pool: 'spot-b' });
  });

  it('starts the provision clock now for a raise it did not make', () => {
    const plan = run({ nodes: baseNodes(), pools: { od: { desired: 3, registered: 1 } } });
    expect(plan.state.pools.od!.requests).to.deep.equal([{ nodes: 2, at: T0 }]);
  });

  it('fulfils the oldest requests first as nodes register', () => {
    const st = stateWith('spot-a', { state: 'available', level: 0 }, [
      { nodes: 2, at: T0 - 300 * S },
      { nodes: 1, at: T0 - 100 * S },
    ]);
    const plan = run({ nodes: baseNodes(), state: st, pools: { 'spot-a': { desired: 3, registered: 2 } } });
    expect(plan.state.pools['spot-a']!.requests).to.deep.equal([{ nodes: 1, at: T0 - 100 * S }]);
  });

  it('leaves backoff at b_k exactly and then allows one probe node', () => {
    const backoff: Availability = { state: 'backoff', level: 0, lastFailureAt: T0 - 300 * S, until: T0, reason: 'test' };
    const pods = [big('p1'), big('p2')];
    const before = run({ now: T0 - 1, nodes: baseNodes(), pods, state: stateWith('spot-a', backoff) });
    expect(poolPlan(before, 'spot-a')).to.include({ availability: 'backoff', newNodes: 0 });
    const at = run({ now: T0, nodes: baseNodes(), pods, state: stateWith('spot-a', backoff) });
    expect(poolPlan(at, 'spot-a')).to.include({ availability: 'probing', newNodes: 1 });
    expect(poolPlan(at, 'spot-b').newNodes).to.equal(1);
  });

  it('becomes available when the probe node registers', () => {
    const st = stateWith('spot-a', { state: 'probing', level: 1, lastFailureAt: T0 - 20 * 60 * S, since: T0 - 60 * S, registeredAtStart: 0 }, [{ nodes: 1, at: T0 - 50 * S }]);
    const plan = run({ nodes: [...baseNodes(), node('spot-a-1', 'spot-a')], state: st });
    expect(plan.state.pools['spot-a']!.availability).to.deep.equal({ state: 'available', level: 1, lastFailureAt: T0 - 20 * 60 * S });
  });

  // b_k = min(300·2^k, 1800): a failure within resetAfter of the last one raises k.
  const levels: Array<[number, number, number]> = [
    [0, 1, 600],
    [1, 2, 1200],
    [2, 3, 1800],
    [3, 4, 1800],
  ];
  for (const [from, to, seconds] of levels) {
    it(`escalates backoff level ${from} → ${to} (${seconds} s) on a repeated failure`, () => {
      const st = stateWith('spot-a', { state: 'probing', level: from, lastFailureAt: T0 - HOUR, since: T0 - 60 * S, registeredAtStart: 0 });
      const plan = run({ nodes: baseNodes(), state: st, pools: { 'spot-a': { capacityFailure: { at: T0, reason: 'ICE' } } } });
      expect(plan.state.pools['spot-a']!.availability).to.deep.include({ state: 'backoff', level: to, until: T0 + seconds * S });
    });
  }

  it('resets the level after 3 h without failures (edge: exactly 3 h resets)', () => {
    const mk = (ago: number) => stateWith('spot-a', { state: 'available', level: 3, lastFailureAt: T0 - ago });
    const failure = { 'spot-a': { capacityFailure: { at: T0, reason: 'ICE' } } };
    const reset = run({ nodes: baseNodes(), state: mk(3 * HOUR), pools: failure });
    expect(reset.state.pools['spot-a']!.availability).to.deep.include({ level: 0, until: T0 + 300 * S });
    const recent = run({ nodes: baseNodes(), state: mk(3 * HOUR - 1), pools: failure });
    expect(recent.state.pools['spot-a']!.availability).to.deep.include({ level: 4, until: T0 + 1800 * S });
  });

  it('puts a spot pool into backoff(0) on a spot interruption in it', () => {
    const plan = run({
      nodes: [...baseNodes(), node('spot-a-1', 'spot-a', { interruption: { kind: 'terminate', source: 'test', provider: 'aws' } }), node('spot-a-2', 'spot-a')],
    });
    expect(plan.state.pools['spot-a']!.availability).to.deep.include({ state: 'backoff', level: 0, until: T0 + 300 * S, reason: 'spot interruption in this pool' });
  });

  it('ignores failures reported while already backing off, and keeps the request cancelled', () => {
    const st = stateWith('spot-a', { state: 'backoff', level: 1, lastFailureAt: T0 - 60 * S, until: T0 + 540 * S, reason: 'ICE' });
    const plan = run({ nodes: baseNodes(), state: st, pools: { 'spot-a': { desired: 2, registered: 0, capacityFailure: { at: T0, reason: 'ICE again' } } } });
    expect(plan.state.pools['spot-a']!.availability).to.deep.include({ level: 1, until: T0 + 540 * S });
    expect(poolPlan(plan, 'spot-a').desired).to.equal(0);
  });
});
