import { expect } from 'chai';
import { isGeneratedFrom, newestCapacityFailure, type EventLike, type NodeClaimLike } from '../../../../src/nodescaler/cluster/karpenter-capacity.js';

const claim = (name: string, status: string, reason: string, at: string, message?: string): NodeClaimLike =>
  ({ metadata: { name }, status: { conditions: [{ type: 'Launched', status, reason, lastTransitionTime: at, ...(message ? { message } : {}) }] } });

const ice = (name: string, at: Date | string, extra: Partial<EventLike> = {}): EventLike =>
  ({ involvedObject: { kind: 'NodeClaim', name }, reason: 'InsufficientCapacityError', message: `NodeClaim ${name} event: no capacity`, lastTimestamp: at, ...extra });

describe('node-scaler cluster: Karpenter capacity failures', () => {
  it('ties a NodeClaim name to the NodePool whose generateName made it', () => {
    expect(isGeneratedFrom('gpu', 'gpu-x7k2p')).to.equal(true);
    expect(isGeneratedFrom('gpu', 'gpu-spot-x7k2p'), 'another pool with a longer name').to.equal(false);
    expect(isGeneratedFrom('gpu', 'gpu-X7K2P')).to.equal(false);
    expect(isGeneratedFrom('gpu', 'gpu-x7k2')).to.equal(false);
    const long = 'a'.repeat(60);
    expect(isGeneratedFrom(long, `${'a'.repeat(58)}b2c4d`), 'the prefix is cut to 58 characters like the apiserver does').to.equal(true);
  });

  it('reads Launched conditions that name capacity, not other launch errors or launched claims', () => {
    const claims = [
      claim('gpu-aaaaa', 'Unknown', 'InsufficientCapacity', '2026-03-02T10:00:00Z', 'no p5'),
      claim('gpu-bbbbb', 'False', 'LaunchFailed', '2026-03-02T11:00:00Z'),
      claim('gpu-ccccc', 'True', 'CapacityReady', '2026-03-02T12:00:00Z'),
    ];
    expect(newestCapacityFailure('gpu', claims, [])).to.deep.equal({ at: Date.parse('2026-03-02T10:00:00Z'), reason: 'NodeClaim gpu-aaaaa not launched: InsufficientCapacity: no p5' });
    expect(newestCapacityFailure('gpu', [claims[1]!, claims[2]!], [])).to.equal(undefined);
  });

  it('takes the newest of claims and InsufficientCapacityError Events, with Date or string times', () => {
    const claims = [claim('gpu-aaaaa', 'False', 'ReservedCapacityUnavailable', '2026-03-02T10:00:00Z')];
    const events = [
      ice('gpu-ddddd', new Date('2026-03-02T11:00:00Z')),
      ice('gpu-eeeee', '2026-03-02T13:00:00Z', { reason: 'NodeClassNotReady' }),
      ice('gpu-fffff', '2026-03-02T13:00:00Z', { involvedObject: { kind: 'Node', name: 'gpu-fffff' } }),
      ice('gpu-spot-ggggg', '2026-03-02T14:00:00Z'),
      ice('gpu-hhhhh', 'not a time', { eventTime: '2026-03-02T12:00:00Z' }),
    ];
    expect(newestCapacityFailure('gpu', claims, events)).to.deep.equal({ at: Date.parse('2026-03-02T12:00:00Z'), reason: 'InsufficientCapacityError: NodeClaim gpu-hhhhh event: no capacity' });
  });
});
