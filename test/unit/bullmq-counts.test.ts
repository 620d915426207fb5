import { expect } from 'chai';
import { computeCounts, listJobs, queueExists, QUEUE_TYPES } from '../../src/sources/bullmq-counts.js';
import type { QueueType, RawQueueReads } from '../../src/sources/bullmq-counts.js';

const EMPTY: RawQueueReads = {
  waitLen: 0,
  pausedLen: 0,
  activeLen: 0,
  prioritized: 0,
  delayed: 0,
  waitingChildren: 0,
  completed: 0,
  failed: 0,
  waitTail: null,
  pausedTail: null,
  metaPaused: null,
  metaExists: true,
};

const raw = (r: Partial<RawQueueReads>): RawQueueReads => ({ ...EMPTY, ...r });
const zero = Object.fromEntries(QUEUE_TYPES.map((t) => [t, 0])) as Record<QueueType, number>;
const counts = (c: Partial<Record<QueueType, number>>) => ({ ...zero, ...c });

describe('bullmq-counts', () => {
  describe('computeCounts', () => {
    const table: { name: string; in: RawQueueReads; out: Record<QueueType, number>; paused: boolean }[] = [
      { name: 'empty queue', in: EMPTY, out: zero, paused: false },
      {
        name: 'every state, running queue',
        in: raw({
          waitLen: 4, activeLen: 1, prioritized: 2, delayed: 3,
          waitingChildren: 5, completed: 6, failed: 7,
        }),
        out: counts({
          waiting: 4, prioritized: 2, delayed: 3, active: 1,
          'waiting-children': 5, completed: 6, failed: 7, total: 7,
        }),
        paused: false,
      },
      {
        name: 'v5 paused: jobs renamed into the paused list',
        in: raw({ pausedLen: 3, prioritized: 1, activeLen: 1, delayed: 2, metaPaused: '1' }),
        out: counts({ paused: 3, prioritized: 1, active: 1, delayed: 2, total: 5 }),
        paused: true,
      },
      {
        name: 'v6 paused: jobs stay in wait and count as paused',
        in: raw({ waitLen: 3, prioritized: 1, activeLen: 1, delayed: 2, metaPaused: '1' }),
        out: counts({ paused: 3, prioritized: 1, active: 1, delayed: 2, total: 5 }),
        paused: true,
      },
      {
        name: 'paused with both lists (v6 reading a v5 legacy list): all paused',
        in: raw({ waitLen: 2, pausedLen: 5, metaPaused: '1' }),
        out: counts({ paused: 7, total: 7 }),
        paused: true,
      },
      {
        name: 'running with a legacy paused list left by a partial v6 resume',
        in: raw({ waitLen: 7000, pausedLen: 10 }),
        out: counts({ waiting: 7000, paused: 10, total: 7010 }),
        paused: false,
      },
      {
        name: 'any meta.paused value means paused (BullMQ tests HEXISTS)',
        in: raw({ waitLen: 2, metaPaused: '0' }),
        out: counts({ paused: 2, total: 2 }),
        paused: true,
      },
      {
        name: 'legacy 0: marker at the wait tail is not a job',
        in: raw({ waitLen: 3, waitTail: '0:1700000000000' }),
        out: counts({ waiting: 2, total: 2 }),
        paused: false,
      },
      {
        name: 'legacy marker alone in the paused list',
        in: raw({ pausedLen: 1, pausedTail: '0:0', metaPaused: '1' }),
        out: zero,
        paused: true,
      },
      {
        name: 'a job id at the tail is a job',
        in: raw({ waitLen: 2, waitTail: '10' }),
        out: counts({ waiting: 2, total: 2 }),
        paused: false,
      },
      {
        name: 'delayed, waiting-children, completed and failed are not in total',
        in: raw({ delayed: 9, waitingChildren: 8, completed: 7, failed: 6 }),
        out: counts({ delayed: 9, 'waiting-children': 8, completed: 7, failed: 6 }),
        paused: false,
      },
    ];
    for (const row of table) {
      it(row.name, () => {
        const result = computeCounts(row.in);
        expect(result.counts).to.deep.equal(row.out);
        expect(result.isPaused).to.equal(row.paused);
      });
    }

    it('total is the same for the v5 and v6 layouts of one paused queue', () => {
      const v5 = computeCounts(raw({ pausedLen: 4, prioritized: 2, activeLen: 1, metaPaused: '1' }));
      const v6 = computeCounts(raw({ waitLen: 4, prioritized: 2, activeLen: 1, metaPaused: '1' }));
      expect(v5.counts).to.deep.equal(v6.counts);
      expect(v5.counts.total).to.equal(7);
    });

    it('reports every queue_type once, total last', () => {
      expect(Object.keys(computeCounts(EMPTY).counts)).to.have.members([...QUEUE_TYPES]);
      expect(QUEUE_TYPES.at(-1)).to.equal('total');
    });
  });

  describe('listJobs', () => {
    const table: [len: number, tail: string | null, jobs: number][] = [
      [0, null, 0],
      [1, '0:', 0],
      [5, '0:123', 4],
      [5, '01', 5],
      [5, '123', 5],
    ];
    for (const [len, tail, jobs] of table) {
      it(`LLEN ${len} with tail ${JSON.stringify(tail)} → ${jobs}`, () => {
        expect(listJobs(len, tail)).to.equal(jobs);
      });
    }
  });

  describe('queueExists', () => {
    it('is true while the meta hash exists, even with no jobs', () => {
      expect(queueExists(EMPTY)).to.equal(true);
    });
    it('is false when no key of the queue exists', () => {
      expect(queueExists(raw({ metaExists: false }))).to.equal(false);
    });
    for (const field of ['waitLen', 'pausedLen', 'activeLen', 'prioritized', 'delayed', 'waitingChildren', 'completed', 'failed'] as const) {
      it(`is true without meta when ${field} > 0`, () => {
        expect(queueExists(raw({ metaExists: false, [field]: 1 }))).to.equal(true);
      });
    }
  });
});
