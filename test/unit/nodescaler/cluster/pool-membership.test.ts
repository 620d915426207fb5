import { expect } from 'chai';
import { poolMembership } from '../../../../src/nodescaler/cluster/pool-membership.js';
import type { ActuatorObservation } from '../../../../src/nodescaler/cluster/contracts.js';
import { parseNodeScalerConfig } from '../../../../src/nodescaler/config.js';
import { node } from './objects.js';

const pool = (name: string, labels: Record<string, string> = {}) => ({
  name, tier: 'spot', gpuModel: 'A100', gpusPerNode: 8, pricePerHour: 10, onDemandReferencePrice: 30, max: 10, labels,
  actuator: { kind: 'clusterApi', namespace: 'capi', name },
});
const pools = parseNodeScalerConfig({ pools: [pool('a', { pool: 'gpu', zone: 'a' }), pool('b', { pool: 'gpu' }), pool('c')] }).pools;
const obs = (nodes: string[]): ActuatorObservation => ({ desired: nodes.length, nodes });

describe('node-scaler cluster: poolMembership', () => {
  it('takes the engine’s node list first, even over labels', () => {
    const m = poolMembership([node('n1', { labels: { pool: 'gpu', zone: 'a' } }), node('n2')], pools, new Map([['c', obs(['n1', 'n2'])]]));
    expect([...m]).to.deep.equal([['n1', 'c'], ['n2', 'c']]);
  });

  it('gives a node listed by two engines to the first pool in config order', () => {
    const m = poolMembership([node('n1')], pools, new Map([['b', obs(['n1'])], ['a', obs(['n1'])]]));
    expect(m.get('n1')).to.equal('a');
  });

  it('falls back to the first pool whose labels the node carries', () => {
    const nodes = [node('n1', { labels: { pool: 'gpu', zone: 'a', x: 'y' } }), node('n2', { labels: { pool: 'gpu', zone: 'b' } }), node('n3', { labels: { zone: 'a' } })];
    const m = poolMembership(nodes, pools, new Map());
    expect([...m]).to.deep.equal([['n1', 'a'], ['n2', 'b']]);
  });

  it('never matches a pool without labels by labels (it would take every node)', () => {
    const only = parseNodeScalerConfig({ pools: [pool('c')] }).pools;
    expect(poolMembership([node('n1')], only, new Map()).size).to.equal(0);
  });
});
