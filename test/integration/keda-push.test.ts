/**
 * StreamIsActive (external-push) against a running `serve` process and real BullMQ queues.
 * The BullMQ poll interval is 5 s and discovery 60 s here, so the 500 ms bound can only be
 * met by the push path (BullMQ's events stream + an immediate re-read of the queue through
 * the store), never by a lucky poll.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Queue, Worker } from 'bullmq';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startAdapter, eventually, type AdapterProcess } from '../helpers/adapter.js';
import { getRaw } from '../helpers/kubectl.js';
import { ScalerClient, ref, type StreamRecorder } from '../helpers/keda-client.js';
import type { IsActiveResponse } from '../../src/keda/index.js';

const BOUND_MS = 500;

describe('KEDA StreamIsActive push (serve process, real BullMQ)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let adapter: AdapterProcess;
  let conn: Redis;
  let client: ScalerClient;
  const queues: Queue[] = [];
  const workers: Worker[] = [];
  const streams: StreamRecorder<IsActiveResponse>[] = [];

  const trigger = (queueName: string) => ref({ metric: 'redis_queue_depth', queueName, targetValue: '1' }, `so-${queueName}`, 'jobs');
  const open = (queueName: string) => {
    const s = client.streamIsActive(trigger(queueName));
    streams.push(s);
    return s;
  };
  const newQueue = (name: string) => {
    const q = new Queue(name, { connection: conn });
    q.on('error', () => undefined);
    queues.push(q);
    return q;
  };
  /** An existing, empty queue: BullMQ writes its meta hash shortly after the Queue is created. */
  const emptyQueue = async (name: string) => {
    const q = newQueue(name);
    await eventually(async () => expect(await conn.exists(`bull:${name}:meta`)).to.equal(1), 5_000, 20);
    return q;
  };
  const scrape = async () => (await fetch(`http://127.0.0.1:${adapter.httpPort}/metrics`)).text();
  const gauge = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await scrape())?.[1]);
  const xreadClients = async () => (await redis.cli('client', 'list')).split('\n').filter((l) => /cmd=xread\b/.test(l)).length;

  before(async () => {
    redis = await startRedis();
    adapter = await startAdapter({ bullmq: { intervalSeconds: 5, timeoutSeconds: 2, discoveryIntervalSeconds: 60 } }, ['--redis-url', redis.url]);
    conn = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: null });
    conn.on('error', () => undefined);
    client = new ScalerClient(`127.0.0.1:${adapter.grpcPort}`);
  });

  afterEach(() => {
    for (const s of streams.splice(0)) s.cancel();
  });

  after(async () => {
    client?.close();
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(queues.map((q) => q.close()));
    conn?.disconnect();
    await adapter?.stop();
    await redis?.cleanup();
  });

  it(`pushes true within ${BOUND_MS} ms of the first job, false once a worker drained the queue`, async () => {
    const q = await emptyQueue('emails');
    const s = open('emails');
    await s.waitFor((m) => m.result === false, 3_000); // current state at once: empty
    const latencies: number[] = [];
    for (let round = 0; round < 5; round++) {
      const from = s.messages.length;
      const t0 = performance.now();
      const job = await q.add('send', { round });
      const got = await s.waitFor((m) => m.result === true, 2_000, from);
      latencies.push(got.atMs - t0);
      await job.remove(); // back to empty for the next round
      await s.waitFor((m) => m.result === false, 2_000, from + 1);
    }
    expect(Math.max(...latencies), `latencies ${latencies.map((l) => l.toFixed(1)).join(', ')} ms`).to.be.below(BOUND_MS);

    const from = s.messages.length;
    await q.addBulk([1, 2, 3].map((i) => ({ name: 'send', data: { i } })));
    await s.waitFor((m) => m.result === true, BOUND_MS, from);
    const worker = new Worker('emails', async () => undefined, { connection: { host: '127.0.0.1', port: redis.port } });
    worker.on('error', () => undefined);
    workers.push(worker);
    const drained = await s.waitFor((m) => m.result === false, 3_000, from + 1);
    expect(drained.value.result).to.equal(false);
    // Transitions only: one true while three jobs were waiting, one false once they were done.
    expect(s.messages.slice(from).map((m) => m.value.result)).to.deep.equal([true, false]);
    await worker.close();
  });

  it('a queue that does not exist yet: nothing until it does, then true within the bound (no discovery wait)', async () => {
    const s = open('late');
    await new Promise((r) => setTimeout(r, 700));
    expect(s.messages, 'no state for a queue that is not there').to.deep.equal([]);
    const q = newQueue('late');
    const t0 = performance.now();
    await q.add('x', {});
    const got = await s.waitFor((m) => m.result === true, 2_000);
    expect(got.atMs - t0).to.be.below(BOUND_MS);
  });

  it('the pushed value is the HTTP API value: same store', async () => {
    const q = newQueue('parity');
    await q.addBulk([1, 2, 3, 4].map((i) => ({ name: 'n', data: { i } })));
    const s = open('parity');
    await s.waitFor((m) => m.result === true, 2_000);
    const list = await getRaw<{ items: { value: string }[] }>(
      adapter.kubeconfig, '/apis/external.metrics.k8s.io/v1beta1/namespaces/jobs/redis_queue_depth?labelSelector=queue_name%3Dparity',
    );
    // Discovery runs every 60 s and the poll every 5 s: only the push path's re-read can have put it there.
    expect(list.items.map((i) => i.value)).to.deep.equal(['4']);
  });

  it('cancel releases the stream: gauges back to 0 and no XREAD left on Redis', async () => {
    await emptyQueue('cancel-me');
    const s = open('cancel-me');
    await eventually(async () => expect(await gauge('ai_metrics_adapter_keda_push_streams')).to.equal(1));
    await eventually(async () => expect(await xreadClients()).to.equal(1));
    s.cancel();
    const end = await s.ended;
    expect(end.code).to.equal(1); // CANCELLED, on the client side
    await eventually(async () => {
      expect(await gauge('ai_metrics_adapter_keda_push_streams')).to.equal(0);
      expect(await gauge('ai_metrics_adapter_keda_push_triggers')).to.equal(0);
    });
    await eventually(async () => expect(await xreadClients()).to.equal(0));
  });

  it('hundreds of streams: one trigger per queue, one XREAD, every stream told, all released', async () => {
    const a = await emptyQueue('many-a');
    const b = await emptyQueue('many-b');
    await a.add('x', {});
    const opened = Array.from({ length: 300 }, (_, i) => open(i % 2 === 0 ? 'many-a' : 'many-b'));
    await Promise.all(opened.map((s, i) => s.waitFor((m) => m.result === (i % 2 === 0), 10_000)));
    expect(await gauge('ai_metrics_adapter_keda_push_streams')).to.equal(300);
    expect(await gauge('ai_metrics_adapter_keda_push_triggers')).to.equal(2);
    expect(await xreadClients()).to.equal(1);
    const t0 = performance.now();
    await b.add('x', {});
    const arrivals = await Promise.all(opened.filter((_, i) => i % 2 === 1).map((s) => s.waitFor((m) => m.result === true, 2_000)));
    expect(Math.max(...arrivals.map((m) => m.atMs - t0))).to.be.below(BOUND_MS);
    for (const s of opened) s.cancel();
    await eventually(async () => expect(await gauge('ai_metrics_adapter_keda_push_streams')).to.equal(0));
  });

  it('Redis down: no false is pushed; back up with a job: true again', async () => {
    await emptyQueue('outage');
    const s = open('outage');
    await s.waitFor((m) => m.result === false, 3_000);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(s.messages.map((m) => m.value.result)).to.deep.equal([false]);
    await redis.start();
    const q = newQueue('outage');
    await q.add('x', {});
    // The events reader reconnects within a second; the 5 s poll is the fallback.
    await s.waitFor((m) => m.result === true, 8_000);
  });
});
