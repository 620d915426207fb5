/**
 * The queue exporter on :8080/metrics: real BullMQ queues in a real Redis, every state,
 * and no series at all (up = 0) while Redis is down.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startAdapter, eventually, type AdapterProcess } from '../helpers/adapter.js';

describe('queue exporter', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let adapter: AdapterProcess;
  let conn: Redis;

  before(async () => {
    redis = await startRedis();
    conn = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: null });
    conn.on('error', () => undefined); // expected while the test stops Redis
    const queue = new Queue('tts-queue', { connection: conn });
    queue.on('error', () => undefined);
    for (let i = 0; i < 4; i++) await queue.add('job', { i });
    for (let i = 0; i < 2; i++) await queue.add('job', { i }, { priority: 1 });
    await queue.add('job', {}, { delay: 600_000 });
    await queue.close();
    adapter = await startAdapter({ bullmq: { intervalSeconds: 0.5, timeoutSeconds: 1 } }, ['--redis-url', redis.url]);
  });

  after(async () => {
    conn?.disconnect();
    await adapter?.stop();
    await redis?.cleanup();
  });

  const scrape = async () => (await fetch(`http://127.0.0.1:${adapter.httpPort}/metrics`)).text();

  it('exports redis_queue_depth for every state and total, and the per-state gauges', async () => {
    const text = await eventually(async () => {
      const t = await scrape();
      expect(t, t.split("\n").filter((l) => l.startsWith("redis_")).join("\n")).to.contain('redis_queue_depth{queue_name="tts-queue",queue_type="total",prefix="bull"} 6');
      return t;
    });
    for (const [type, v] of [['waiting', 4], ['prioritized', 2], ['delayed', 1], ['paused', 0], ['active', 0], ['waiting-children', 0], ['failed', 0], ['completed', 0]]) {
      expect(text).to.contain(`redis_queue_depth{queue_name="tts-queue",queue_type="${type}",prefix="bull"} ${v}`);
    }
    expect(text).to.contain('redis_queue_waiting{queue_name="tts-queue",prefix="bull"} 4');
    expect(text).to.contain('redis_queue_delayed{queue_name="tts-queue",prefix="bull"} 1');
    expect(text).to.contain('redis_queue_active{queue_name="tts-queue",prefix="bull"} 0');
    expect(text).to.contain('redis_queue_failed{queue_name="tts-queue",prefix="bull"} 0');
    expect(text).to.match(/redis_queue_up\{redis="redis:\/\/127\.0\.0\.1:\d+"\} 1/);
  });

  it('drops every queue series and reports up = 0 while Redis is down', async () => {
    await redis.stop();
    const text = await eventually(async () => {
      const t = await scrape();
      expect(t).to.match(/redis_queue_up\{redis="redis:\/\/127\.0\.0\.1:\d+"\} 0/);
      return t;
    }, 5_000);
    expect(text).to.not.match(/^redis_queue_(depth|waiting|active|delayed|failed)\{/m);
  });
});
