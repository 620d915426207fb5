import { expect } from 'chai';
import type { Activity } from '@aws-sdk/client-auto-scaling';
import { instanceIdOf, isLeaving, newestCapacityFailure } from '../../../../src/nodescaler/cluster/asg-observation.js';
import { awsErrorCode } from '../../../../src/nodescaler/cluster/asg-errors.js';

describe('ASG actuator helpers', function () {
  it('instanceIdOf reads aws:///<az>/<instance-id> and nothing else', function () {
    const table: Array<[string | undefined, string | undefined]> = [
      ['aws:///us-east-1a/i-0123456789abcdef0', 'i-0123456789abcdef0'],
      ['aws:///i-0abc', 'i-0abc'],
      ['aws:///us-east-1a/', undefined],
      ['gce://project/zone/name', undefined],
      ['aws:///us-east-1a/fargate-ip-10-0-0-1', undefined],
      ['', undefined],
      [undefined, undefined],
    ];
    for (const [input, want] of table) expect(instanceIdOf(input), String(input)).to.equal(want);
  });

  it('isLeaving covers every Terminating state', function () {
    for (const s of ['Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Terminated']) expect(isLeaving(s), s).to.equal(true);
    for (const s of ['InService', 'Pending', 'Pending:Wait', 'Standby', undefined]) expect(isLeaving(s), String(s)).to.equal(false);
  });

  describe('newestCapacityFailure', function () {
    const at = (min: number) => new Date(Date.UTC(2026, 2, 2, 12, min));
    const act = (code: string, min: number, msg?: string): Activity => ({
      ActivityId: `a${min}`, AutoScalingGroupName: 'g', Cause: 'c', StartTime: at(min), EndTime: at(min + 1), StatusCode: code as Activity['StatusCode'], StatusMessage: msg, Progress: 100,
    });

    it('takes the newest Failed activity, skipping in-progress and Cancelled ones, in any order', function () {
      const f = newestCapacityFailure([act('Failed', 1, 'old'), act('InProgress', 9), act('Cancelled', 8), act('Failed', 5, 'InsufficientInstanceCapacity')]);
      expect(f).to.deep.equal({ at: at(6).getTime(), reason: 'InsufficientInstanceCapacity' });
    });

    it('reports nothing when a newer activity succeeded, or when nothing failed', function () {
      expect(newestCapacityFailure([act('Failed', 1, 'x'), act('Successful', 3)])).to.equal(undefined);
      expect(newestCapacityFailure([])).to.equal(undefined);
    });

    it('falls back to the Description when StatusMessage is empty', function () {
      expect(newestCapacityFailure([{ ...act('Failed', 2), Description: 'Launching a new EC2 instance failed' }])?.reason).to.equal('Launching a new EC2 instance failed');
    });
  });

  it('awsErrorCode prefers the wire Code, then an SDK exception name, never a plain Error name', function () {
    expect(awsErrorCode({ Code: 'Throttling', name: 'Throttling', $metadata: {} })).to.equal('Throttling');
    expect(awsErrorCode({ name: 'ScalingActivityInProgressFault', $metadata: {} })).to.equal('ScalingActivityInProgressFault');
    expect(awsErrorCode(new Error('ECONNREFUSED'))).to.equal(undefined);
    expect(awsErrorCode('text')).to.equal(undefined);
  });
});
