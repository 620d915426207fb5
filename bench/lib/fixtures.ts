/**
 * What the store holds during the bench: 10 000 GPU pods from one dcgm-exporter fixture and
 * 1 000 real BullMQ queues in a real Redis.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { GpuFixture } from '../../test/helpers/fixture-text.js';

export const BENCH_NAMESPACE = 'bench-500';

/**
 * `total` pods with one H100 each, 8 per node: the first `inBench` in BENCH_NAMESPACE, the
 * rest in `team-01`, `team-02`, … with `perNamespace` pods each.
 */
export function benchGpus(total: number, inBench: number, perNamespace = 500): GpuFixture[] {
  const out: GpuFixture[] = [];
  for (let i = 0; i < total; i++) {
    const namespace = i < inBench ? BENCH_NAMESPACE : `team-${String(Math.floor((i - inBench) / perNamespace) + 1).padStart(2, '0')}`;
    const util = (i * 37) % 101;
    out.push({
      gpu: i % 8,
      uuid: `GPU-00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      pciBusId: `00000000:${(0x18 + (i % 8) * 0x10).toString(16).toUpperCase()}:00.0`,
      modelName: 'NVIDIA H100 80GB HBM3',
      hostname: `gpu-node-${String(Math.floor(i / 8)).padStart(4, '0')}`,
      pod: { namespace, name: `infer-${String(i).padStart(5, '0')}-7d9f8c6b5-x2kqp`, container: 'model' },
      util,
      fbUsed: 800 * util,
      fbFree: 81_559 - 800 * util,
    });
  }
  return out;
}

/** Namespaces benchGpus() spreads pods over. */
export function benchNamespaces(total: number, inBench: number, perNamespace = 500): string[] {
  const teams = Math.ceil((total - inBench) / perNamespace);
  return [BENCH_NAMESPACE, ...Array.from({ length: teams }, (_, i) => `team-${String(i + 1).padStart(2, '0')}`)];
}

export const KNOWN_QUEUE = 'stt-queue';
/** `total` of KNOWN_QUEUE: 7 waiting + 3 prioritized (its 2 delayed jobs are not runnable yet). */
export const KNOWN_QUEUE_TOTAL = 10;

/**
 * `count` BullMQ queues through the bullmq API: KNOWN_QUEUE (7 waiting, 3 prioritized,
 * 2 delayed) and `q-0001`… with a few waiting and prioritized jobs each.
 */
export async function createQueues(port: number, count: number): Promise<void> {
  const conn = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null });
  try {
    const names = [KNOWN_QUEUE, ...Array.from({ length: count - 1 }, (_, i) => `q-${String(i + 1).padStart(4, '0')}`)];
    const fill = async (name: string, i: number) => {
      const q = new Queue(name, { connection: conn });
      try {
        if (name === KNOWN_QUEUE) {
          await q.addBulk([
            ...Array.from({ length: 7 }, (_, j) => ({ name: 'transcribe', data: { j } })),
            ...Array.from({ length: 3 }, (_, j) => ({ name: 'transcribe', data: { j }, opts: { priority: 3 } })),
            ...Array.from({ length: 2 }, (_, j) => ({ name: 'transcribe', data: { j }, opts: { delay: 3_600_000 } })),
          ]);
        } else {
          await q.addBulk([
            ...Array.from({ length: 1 + (i % 5) }, (_, j) => ({ name: 'job', data: { j } })),
            ...Array.from({ length: i % 3 }, (_, j) => ({ name: 'job', data: { j }, opts: { priority: 1 + j } })),
          ]);
        }
      } finally {
        await q.close();
      }
    };
    const PARALLEL = 50;
    for (let i = 0; i < names.length; i += PARALLEL) {
      await Promise.all(names.slice(i, i + PARALLEL).map((name, j) => fill(name, i + j)));
    }
  } finally {
    await conn.quit();
  }
}
