import { expect } from 'chai';
import { SourceIndex } from '../../../src/store/source-index.js';
import type { MetricPoint } from '../../../src/store/types.js';

const pod = (name: string, gpu: string, value: number): MetricPoint => ({
  metric: 'nvidia_gpu_duty_cycle', target: { kind: 'object', resource: 'pods', namespace: 'ns', name }, labels: { gpu }, value, timestampMs: value,
});
const queue = (name: string, value: number): MetricPoint => ({
  metric: 'redis_queue_depth', target: { kind: 'external' }, labels: { queue_name: name, queue_type: 'total' }, value, timestampMs: value,
});

/** What a reader sees: every lookup the store makes, as plain data. */
function view(index: SourceIndex, pods: string[], queues: string[]) {
  return {
    names: [...index.objectNames('nvidia_gpu_duty_cycle', 'pods', 'ns')].sort(),
    pods: pods.map((p) => index.objectPoints('nvidia_gpu_duty_cycle', 'pods', 'ns', p).map((x) => x.value)),
    all: index.externalPoints('redis_queue_depth').map((x) => x.value),
    byName: queues.map((q) => index.externalPoints('redis_queue_depth', new Map([['queue_name', [q]]])).map((x) => x.value)),
    newest: index.newestMs,
  };
}

describe('SourceIndex.update (in place)', () => {
  it('answers every lookup as an index built from scratch would, poll after poll', () => {
    const polls: MetricPoint[][] = [
      [pod('a', '0', 1), pod('a', '1', 2), pod('b', '0', 3), queue('q1', 4), queue('q2', 5)],
      // a loses a GPU, b is gone, c is new; q2 is gone.
      [pod('a', '0', 6), pod('c', '0', 7), queue('q1', 8)],
      [],
      [pod('b', '0', 9), pod('b', '1', 10), pod('b', '2', 11), queue('q2', 12)],
    ];
    const kept = new SourceIndex();
    for (const [i, points] of polls.entries()) {
      kept.update(points);
      const scratch = new SourceIndex();
      scratch.update(points);
      expect(view(kept, ['a', 'b', 'c'], ['q1', 'q2']), `poll ${i + 1}`).to.deep.equal(view(scratch, ['a', 'b', 'c'], ['q1', 'q2']));
    }
    expect(view(kept, ['a', 'b', 'c'], ['q1', 'q2']).names).to.deep.equal(['b']);
  });
});
