/**
 * BullmqSource against real Redis (Debian redis-server) with queues made by real BullMQ:
 * v6 (`bullmq`) and v5 (`bullmq5`), each under its own prefix.
 */
import { expect } from 'chai';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { FlowProducer as FlowProducer5, Queue as Queue5, Worker as Worker5 } from 'bullmq5';
import { Cluster, Redis } from 'ioredis';
import { BullmqSource } from '../../src/sources/bullmq.js';
import type { BullmqSourceOptions } from '../../src/sources/bullmq.js';
import type { MetricPoint } from '../../src/store/types.js';
import { startRedis, startRedisCluster } from '../helpers/redis.js';
import type { RedisCluster, RedisServer } from '../helpers/redis.js';

/** The part of the BullMQ API these tests use; v5 has the same shape. */
interface BullLib {
  readonly Queue: typeof Queue;
  readonly Worker: typeof Worker;
  readonly FlowProducer: typeof FlowProducer;
}
const V6: BullLib = { Queue, Worker, FlowProducer };
const V5 = { Queue: Queue5, Worker: Worker5, FlowProducer: FlowProducer5 } as unknown as BullLib;

const HOUR = 3_600_000;
const TYPES = ['waiting', 'paused', 'prioritized', 'delayed', 'active', 'waiting-children', 'failed', 'completed', 'total'];
type Depths = Record<string, number>;

const depths = (c: Depths): Depths => ({ ...Object.fromEntries(TYPES.map((t) => [t, 0])), ...c });

/** points → { "<prefix>|<queue>": { queue_type: value } } */
function byQueue(points: readonly MetricPoint[]): Record<string, Depths> {
  const out: Record<string, Depths> = {};
  for (const p of points) {
    const key = `${p.labels.prefix}|${p.labels.queue_name}`;
    (out[key] ??= {})[p.labels.queue_type ?? '?'] = p.value;
  }
  return out;
}

async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

const signal = () => AbortSignal.timeout(30_000);

/** Everything a scenario created, so it can be closed. */
class Scenario {
  private readonly closers: (() => Promise<unknown>)[] = [];
  private release: (() => void) | undefined;

  constructor(
    private readonly lib: BullLib,
    private readonly connection: { host: string; port: number },
    private readonly prefix: string,
  ) {}

  queue(name: string): Queue {
    const q = new this.lib.Queue(name, { connection: this.connection, prefix: this.prefix });
    q.on('error', () => undefined);
    this.closers.push(() => q.close());
    return q;
  }

  /**
   * `work`: 3 completed, 2 failed, 1 active (held by a worker), 4 waiting, 2 prioritized,
   * 3 delayed. `held`: paused with 3 jobs (2 added before the pause, 1 after), 1 prioritized,
   * 1 delayed. `flow-parent`/`flow-child`: a parent waiting for its child. `empty`: no jobs.
   */
  async populate(): Promise<void> {
    await this.populateWork();
    await this.populateHeld();
    await this.populateFlow();
    await this.queue('empty').waitUntilReady();
  }

  async close(): Promise<void> {
    this.release?.();
    for (const close of this.closers.reverse()) await close();
  }

  private async populateWork(): Promise<void> {
    const work = this.queue('work');
    await work.addBulk([1, 2, 3].map((i) => ({ name: 'ok', data: { i } })));
    await work.addBulk([1, 2].map((i) => ({ name: 'fail', data: { i, fail: true } })));
    const held = new Promise<void>((resolve) => (this.release = resolve));
    const worker = new this.lib.Worker(
      'work',
      async (job) => {
        if (job.data.fail) throw new Error('expected failure');
        if (job.data.hold) await held;
        return 'done';
      },
      { connection: this.connection, prefix: this.prefix, concurrency: 1 },
    );
    worker.on('error', () => undefined);
    this.closers.push(async () => {
      this.release?.();
      await worker.close();
    });
    await until('3 completed and 2 failed', async () => {
      const c = await work.getJobCounts('completed', 'failed');
      return c.completed === 3 && c.failed === 2;
    });
    await work.add('hold', { hold: true });
    await until('the held job to be active', async () => (await work.getActiveCount()) === 1);
    // The worker (concurrency 1) is busy now, so these stay where they are put.
    await work.addBulk([1, 2, 3, 4].map((i) => ({ name: 'wait', data: { i } })));
    await work.add('prio', {}, { priority: 1 });
    await work.add('prio', {}, { priority: 5 });
    await work.addBulk([1, 2, 3].map((i) => ({ name: 'later', data: { i }, opts: { delay: HOUR } })));
  }

  private async populateHeld(): Promise<void> {
    const q = this.queue('held');
    await q.add('a', {});
    await q.add('b', {});
    await q.pause();
    await q.add('c', {});
    await q.add('p', {}, { priority: 2 });
    await q.add('d', {}, { delay: HOUR });
  }

  private async populateFlow(): Promise<void> {
    this.queue('flow-parent');
    this.queue('flow-child');
    const flow = new this.lib.FlowProducer({ connection: this.connection, prefix: this.prefix });
    flow.on('error', () => undefined);
    this.closers.push(() => flow.close());
    await flow.add({ name: 'parent', queueName: 'flow-parent', children: [{ name: 'child', queueName: 'flow-child' }] });
  }
}

/** What Scenario.populate() leaves, for either BullMQ version. */
const EXPECTED: Record<string, Depths> = {
  work: depths({ waiting: 4, prioritized: 2, delayed: 3, active: 1, failed: 2, completed: 3, total: 7 }),
  held: depths({ paused: 3, prioritized: 1, delayed: 1, total: 4 }),
  'flow-parent': depths({ 'waiting-children': 1 }),
  'flow-child': depths({ waiting: 1, total: 1 }),
  empty: depths({}),
};

const P6 = 'bull';
const P5 = '{v5}:bull';

function expectedFor(prefix: string): Record<string, Depths> {
  return Object.fromEntries(Object.entries(EXPECTED).map(([q, d]) => [`${prefix}|${q}`, d]));
}

describe('BullmqSource with real Redis and BullMQ', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  const scenarios: Scenario[] = [];
  const sources: BullmqSource[] = [];

  const source = (opts: Partial<BullmqSourceOptions> = {}): BullmqSource => {
    const s = new BullmqSource({ url: redis.url, prefixes: [P6, P5], commandTimeoutMs: 2000, ...opts });
    sources.push(s);
    return s;
  };

  before(async () => {
    redis = await startRedis();
    const connection = { host: '127.0.0.1', port: redis.port };
    scenarios.push(new Scenario(V6, connection, P6), new Scenario(V5, connection, P5));
    for (const s of scenarios) await s.populate();
  });

  after(async () => {
    for (const s of sources) await s.close();
    for (const s of scenarios) await s.close();
    await redis?.cleanup();
  });

  it('the scenarios really are BullMQ v6 and v5 key layouts', async () => {
    // v6 keeps a paused queue's jobs in `wait`; v5 moved them to `paused`.
    expect(await redis.cli('hget', `${P6}:held:meta`, 'version')).to.match(/^bullmq:6\./);
    expect(await redis.cli('hget', `${P5}:held:meta`, 'version')).to.match(/^bullmq:5\./);
    expect(await redis.cli('llen', `${P6}:held:wait`)).to.equal('3');
    expect(await redis.cli('llen', `${P5}:held:paused`)).to.equal('3');
  });

  it('reports every queue_type and total for BullMQ v6 queues', async () => {
    const got = byQueue(await source({ prefixes: [P6] }).poll(signal()));
    expect(got).to.deep.equal(expectedFor(P6));
  });

  it('reports the same for BullMQ v5 queues (paused jobs in the paused list)', async () => {
    const got = byQueue(await source({ prefixes: [P5] }).poll(signal()));
    expect(got).to.deep.equal(expectedFor(P5));
  });

  it('discovers every queue under both prefixes and emits well-formed points', async () => {
    await redis.cli('hset', 'other:q:meta', 'version', 'x'); // another prefix
    await redis.cli('hset', `${P6}:a:b:meta`, 'version', 'x'); // not a queue name
    await redis.cli('set', `${P6}:str:meta`, 'x'); // not a hash
    const s = source();
    expect(s.id).to.equal(`bullmq:${redis.url}`);
    expect(s.metrics).to.deep.equal(['redis_queue_depth']);
    const before = Date.now();
    const points = await s.poll(signal());
    expect(byQueue(points)).to.deep.equal({ ...expectedFor(P6), ...expectedFor(P5) });
    expect(points).to.have.length(10 * TYPES.length);
    for (const p of points) {
      expect(p.metric).to.equal('redis_queue_depth');
      expect(p.target).to.deep.equal({ kind: 'external' });
      expect(Object.keys(p.labels).sort()).to.deep.equal(['prefix', 'queue_name', 'queue_type']);
      expect(p.timestampMs).to.be.within(before, Date.now());
    }
  });

  it('reads an explicit queue list without discovery and drops queues that have no keys', async () => {
    const s = source({ discover: false, queues: ['held', 'no-such-queue'] });
    expect(byQueue(await s.poll(signal()))).to.deep.equal({
      [`${P6}|held`]: EXPECTED.held,
      [`${P5}|held`]: EXPECTED.held,
    });
  });

  it('rediscovers at most every discoveryIntervalMs; explicit queues are read at once', async () => {
    const interval = 1500;
    const discovering = source({ prefixes: [P6], discoveryIntervalMs: interval });
    const explicit = source({ prefixes: [P6], discoveryIntervalMs: interval, queues: ['late'] });
    await discovering.poll(signal());
    await explicit.poll(signal());
    const started = Date.now();
    const late = scenarios[0]!.queue('late');
    await late.add('x', {});
    expect(byQueue(await discovering.poll(signal()))).not.to.have.property(`${P6}|late`);
    expect(byQueue(await explicit.poll(signal()))[`${P6}|late`]).to.deep.equal(depths({ waiting: 1, total: 1 }));
    await new Promise((r) => setTimeout(r, Math.max(0, interval - (Date.now() - started)) + 50));
    expect(byQueue(await discovering.poll(signal()))[`${P6}|late`]).to.deep.equal(depths({ waiting: 1, total: 1 }));
    // A queue that disappears drops out at the next read, before any rediscovery.
    await late.obliterate({ force: true });
    expect(byQueue(await discovering.poll(signal()))).not.to.have.property(`${P6}|late`);
  });

  it('only reads: works as a read-only ACL user, leaves a legacy 0: marker in place, hides the password', async () => {
    await redis.cli('acl', 'setuser', 'reader', 'on', '>s3cret', '~*', 'resetchannels', '-@all', '+@read');
    const asReader = new Redis({ host: '127.0.0.1', port: redis.port, username: 'reader', password: 's3cret', enableReadyCheck: false });
    try {
      expect((await rejection(asReader.rpush(`${P6}:legacy:wait`, 'x'))).message).to.match(/NOPERM/);
      expect((await rejection(asReader.eval('return 1', 0))).message).to.match(/NOPERM/);
    } finally {
      asReader.disconnect();
    }
    const legacy = scenarios[0]!.queue('legacy');
    await legacy.add('a', {});
    await legacy.add('b', {});
    await redis.cli('rpush', `${P6}:legacy:wait`, '0:1700000000000');
    const url = `redis://reader:s3cret@127.0.0.1:${redis.port}`;
    const s = source({ url, prefixes: [P6] });
    expect(s.id).to.equal(`bullmq:redis://reader@127.0.0.1:${redis.port}`);
    const got = byQueue(await s.poll(signal()));
    expect(got[`${P6}|legacy`]).to.deep.equal(depths({ waiting: 2, total: 2 }));
    expect(got[`${P6}|work`]).to.deep.equal(EXPECTED.work);
    expect(await redis.cli('llen', `${P6}:legacy:wait`)).to.equal('3');
    await legacy.obliterate({ force: true });
  });

  it('a Redis error rejects the poll naming the endpoint, the command and the key', async () => {
    await redis.cli('set', 'bad:q:wait', 'not a list');
    const err = await rejection(source({ prefixes: ['bad'], discover: false, queues: ['q'] }).poll(signal()));
    expect(err.message).to.equal(`redis 127.0.0.1:${redis.port}: LLEN bad:q:wait: WRONGTYPE Operation against a key holding the wrong kind of value`);
  });

  it('honours an aborted signal', async () => {
    const err = await rejection(source().poll(AbortSignal.abort()));
    expect(err.name).to.equal('AbortError');
  });

  it('close() releases the connection and later polls reject', async () => {
    const s = new BullmqSource({ url: redis.url });
    await s.poll(signal());
    const name = (await redis.cli('client', 'list')).split('\n').length;
    await s.close();
    await until('the connection to close', async () => (await redis.cli('client', 'list')).split('\n').length < name);
    expect((await rejection(s.poll(signal()))).message).to.match(/closed/);
  });
});

describe('BullmqSource when Redis fails', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let s: BullmqSource;
  const COMMAND_TIMEOUT = 500;

  const addJobs = async (n: number) => {
    const q = new Queue('jobs', { connection: { host: '127.0.0.1', port: redis.port } });
    await q.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'j', data: { i } })));
    await q.close();
  };
  const waiting = async () => byQueue(await s.poll(signal()))['bull|jobs']?.waiting;

  beforeEach(async () => {
    redis = await startRedis();
    s = new BullmqSource({ url: redis.url, commandTimeoutMs: COMMAND_TIMEOUT, connectTimeoutMs: COMMAND_TIMEOUT });
    await addJobs(2);
    expect(await waiting()).to.equal(2);
  });

  afterEach(async () => {
    await s.close();
    await redis.cleanup();
  });

  it('stopped Redis: poll rejects at once naming the endpoint; after a restart the same source reads again', async () => {
    await redis.stop();
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      const err = await rejection(s.poll(signal()));
      expect(Date.now() - started).to.be.below(COMMAND_TIMEOUT);
      expect(err.message).to.match(new RegExp(`^redis 127\\.0\\.0\\.1:${redis.port}: .*ECONNREFUSED`));
    }
    await redis.start();
    await addJobs(3); // nothing was saved: the restarted Redis starts empty
    expect(await waiting()).to.equal(3);
  });

  it('hung Redis (SIGSTOP): poll rejects within the command timeout, and recovers after SIGCONT', async () => {
    redis.freeze();
    let started = Date.now();
    let err = await rejection(s.poll(signal()));
    expect(Date.now() - started).to.be.below(COMMAND_TIMEOUT + 300);
    expect(err.message).to.match(new RegExp(`^redis 127\\.0\\.0\\.1:${redis.port}: .*timed out after ${COMMAND_TIMEOUT} ms`));
    // Reconnecting to a hung server is bounded too.
    started = Date.now();
    err = await rejection(s.poll(signal()));
    expect(Date.now() - started).to.be.below(COMMAND_TIMEOUT + 300);
    expect(err.message).to.match(/timed out/);
    redis.thaw();
    expect(await waiting()).to.equal(2);
  });

  it('with no queue to read, a poll still proves that Redis answers', async () => {
    const empty = new BullmqSource({ url: redis.url, prefixes: ['nothing'], commandTimeoutMs: COMMAND_TIMEOUT });
    try {
      expect(await empty.poll(signal())).to.deep.equal([]);
      redis.freeze();
      expect((await rejection(empty.poll(signal()))).message).to.match(/timed out/);
    } finally {
      redis.thaw();
      await empty.close();
    }
  });

  it('an abort during a hung read rejects with the signal reason at once', async () => {
    const slow = new BullmqSource({ url: redis.url, commandTimeoutMs: 5000 });
    try {
      await slow.poll(signal());
      redis.freeze();
      const started = Date.now();
      const err = await rejection(slow.poll(AbortSignal.timeout(100)));
      expect(Date.now() - started).to.be.below(400);
      expect(err.name).to.equal('TimeoutError');
    } finally {
      redis.thaw();
      await slow.close();
    }
  });

  it('no unhandled error events while Redis is down between polls', async () => {
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    try {
      await redis.stop();
      await new Promise((r) => setTimeout(r, 300));
      await rejection(s.poll(signal()));
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(errors).to.deep.equal([]);
  });
});

describe('BullmqSource on a Redis Cluster', function () {
  this.timeout(60_000);
  let cluster: RedisCluster | undefined;
  let client: Cluster | undefined;
  const queues: Queue[] = [];
  let s: BullmqSource | undefined;

  before(async function () {
    try {
      cluster = await startRedisCluster(3);
    } catch (err) {
      if (process.env.CI === 'true') throw err;
      console.warn(`skipping cluster tests: ${String(err)}`);
      this.skip();
    }
    const nodes = cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
    client = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: null } });
    client.on('error', () => undefined);
    const add = (q: Queue) => (queues.push(q), q);
    // Queue-name tags: each queue in its own slot, spread over the masters.
    for (const name of ['{stt-queue}', '{mt-queue}', '{tts-queue}', '{lipsync-queue}']) {
      const q = add(new Queue(name, { connection: client }));
      await q.addBulk([{ name: 'a', data: {} }, { name: 'b', data: {} }]);
      await q.add('p', {}, { priority: 3 });
      await q.add('d', {}, { delay: HOUR });
    }
    // Prefix tag: every queue of the prefix in one slot.
    const tagged = add(new Queue('stt-queue', { connection: client, prefix: '{bull}' }));
    await tagged.add('a', {});
    await tagged.pause();
    await tagged.add('b', {});
    // No hash tag (BullMQ itself cannot run like this; written by hand): keys on several nodes.
    await client.hset('plain:q:meta', 'version', 'hand-made');
    await client.rpush('plain:q:wait', '1', '2', '3');
    await client.zadd('plain:q:prioritized', 1, '4');
    await client.rpush('plain:q:active', '5');
  });

  after(async () => {
    await s?.close();
    for (const q of queues) await q.close();
    await client?.quit();
    await cluster?.cleanup();
  });

  it('discovers queues on every master and reads tagged and untagged queues', async () => {
    if (!cluster || !client) throw new Error('no cluster');
    const masters = client.nodes('master');
    const perNode = await Promise.all(masters.map((m) => m.dbsize()));
    expect(perNode.filter((n) => n > 0).length, 'keys spread over masters').to.be.at.least(2);
    s = new BullmqSource({ url: cluster.url, prefixes: ['bull', '{bull}', 'plain'] });
    expect(s.id).to.equal(`bullmq:${cluster.url}`);
    const got = byQueue(await s.poll(signal()));
    const tagQueue = depths({ waiting: 2, prioritized: 1, delayed: 1, total: 3 });
    expect(got).to.deep.equal({
      'bull|{stt-queue}': tagQueue,
      'bull|{mt-queue}': tagQueue,
      'bull|{tts-queue}': tagQueue,
      'bull|{lipsync-queue}': tagQueue,
      '{bull}|stt-queue': depths({ paused: 2, total: 2 }),
      'plain|q': depths({ waiting: 3, prioritized: 1, active: 1, total: 5 }),
    });
  });

  it('a plain redis:// seed URL with cluster: true works the same', async () => {
    if (!cluster) throw new Error('no cluster');
    const seed = new BullmqSource({ url: `redis://127.0.0.1:${cluster.nodes[1]!.port}`, cluster: true, prefixes: ['{bull}'] });
    try {
      expect(byQueue(await seed.poll(signal()))).to.deep.equal({ '{bull}|stt-queue': depths({ paused: 2, total: 2 }) });
    } finally {
      await seed.close();
    }
  });
});
