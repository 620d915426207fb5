/**
 * `npm run bench:keda`: the KEDA external scaler of the built adapter (`node dist/cli/main.js
 * serve`), against a real Redis with real BullMQ queues, through a gRPC client built from
 * proto/externalscaler.proto over one HTTP/2 connection (as KEDA pools it).
 *
 *   (1) push activation: time from `queue.add()` on an empty queue to the `true` on an open
 *       StreamIsActive stream, over BENCH_TRIALS trials (default 200), beside the activation
 *       delay of a polling trigger at KEDA's default pollingInterval of 30 s (uniform wait:
 *       mean and median 15 s, p99 29.7 s).
 *   (2) GetMetrics with BENCH_SCALED_OBJECTS (default 100) concurrent ScaledObjects, each on
 *       its own queue: requests/s when each calls again as soon as it has its answer (closed
 *       loop, BENCH_SECONDS, default 10 s), beside what KEDA asks of a scaler for that many
 *       objects (keda-spec.md §2.12: ≈ 0.3 RPC/s per object at a 30 s poll with the HPA
 *       reading every 15 s); and p50/p99 when all of them ask at the same instant (one burst
 *       a second, BENCH_BURSTS bursts, default 30), beside the 100 ms per-call budget of §6.
 *
 * Knobs (environment): BENCH_TRIALS (200, at least 100), BENCH_SCALED_OBJECTS (100),
 * BENCH_SECONDS (10), BENCH_BURSTS (30), BENCH_ADAPTER_NODE_ARGS (extra node flags for the adapter, e.g. --cpu-prof).
 *
 * Prints one table with the ratios. A benchmark, not a test: exit code 1 only when it could
 * not run. The BullMQ poll interval is the default 2 s: activation well under it shows the
 * push path (BullMQ events + an immediate re-read), not the poll.
 */
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { startRedis } from '../test/helpers/redis.js';
import { freePort } from '../test/helpers/ports.js';
import { eventually } from '../test/helpers/adapter.js';
import { ScalerClient, ref } from '../test/helpers/keda-client.js';
import { procCpuSeconds, procMemory, startBuiltAdapter } from './lib/adapter.js';
import { percentile } from './lib/stats.js';

const num = (name: string, def: number) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const TRIALS = Math.max(100, num('BENCH_TRIALS', 200));
const SCALED_OBJECTS = num('BENCH_SCALED_OBJECTS', 100);
const SECONDS = num('BENCH_SECONDS', 10);
const BURSTS = num('BENCH_BURSTS', 30);
const WARMUP_MS = 2_000;
const ADAPTER_NODE_ARGS = (process.env.BENCH_ADAPTER_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Setup, both phases and cleanup stay under 3 minutes. */
const BUDGET_MS = 175_000;

/** KEDA's default pollingInterval; a job lands uniformly within it. */
const POLL_S = 30;
const POLL_MEAN_MS = (POLL_S / 2) * 1000;
const POLL_P99_MS = POLL_S * 0.99 * 1000;
/** keda-spec.md §2.12: ≈ 0.3 RPC/s per ScaledObject (30 s poll + HPA every 15 s). */
const KEDA_RPC_PER_OBJECT = 0.3;
/** keda-spec.md §6: keep GetMetrics well under 100 ms. */
const BUDGET_P99_MS = 100;

const cleanups: Array<() => Promise<void>> = [];
async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
}

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');
const f0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const ms = (v: number) => (v >= 1000 ? `${f1(v / 1000)} s` : `${f2(v)} ms`);

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const phase = (what: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${what}`);

  phase('setup: redis-server, built adapter (BullMQ poll 2 s, the default), gRPC client');
  const redis = await startRedis();
  cleanups.push(() => redis.cleanup());
  const grpcPort = await freePort();
  const adapter = await startBuiltAdapter({ grpcPort, bullmq: { urls: [redis.url] } }, ADAPTER_NODE_ARGS);
  cleanups.push(() => adapter.stop());
  const conn = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: null });
  cleanups.push(async () => conn.disconnect());
  const client = new ScalerClient(`127.0.0.1:${grpcPort}`);
  cleanups.push(async () => client.close());

  // ------------------------------------------------------------------ (1) push activation
  phase(`push: ${TRIALS} trials of queue.add() on an empty queue → true on StreamIsActive`);
  const queue = new Queue('bench-push', { connection: conn });
  cleanups.push(() => queue.close());
  await queue.waitUntilReady();
  const stream = client.streamIsActive(ref({ metric: 'redis_queue_depth', queueName: 'bench-push', targetValue: '1' }, 'bench', 'bench'));
  cleanups.push(async () => stream.cancel());
  await stream.waitFor((m) => m.result === false, 10_000);
  const activation: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const from = stream.messages.length;
    // Spread the adds over the poll period, so no trial lines up with a poll by design.
    await new Promise((r) => setTimeout(r, Math.random() * 20));
    const start = performance.now();
    const job = await queue.add('trial', { i });
    const got = await stream.waitFor((m) => m.result === true, 5_000, from);
    activation.push(got.atMs - start);
    await job.remove();
    await stream.waitFor((m) => m.result === false, 5_000, from + 1);
  }
  activation.sort((a, b) => a - b);
  const pushP50 = percentile(activation, 50);
  const pushP99 = percentile(activation, 99);
  const pushMean = activation.reduce((a, b) => a + b, 0) / activation.length;

  // ------------------------------------------------------------------ (2) GetMetrics load
  phase(`GetMetrics: ${SCALED_OBJECTS} queues, ${SCALED_OBJECTS} ScaledObjects in closed loop for ${SECONDS} s (+${WARMUP_MS / 1000} s warm-up)`);
  const names = Array.from({ length: SCALED_OBJECTS }, (_, i) => `so-${String(i).padStart(3, '0')}`);
  for (const [i, name] of names.entries()) {
    const q = new Queue(name, { connection: conn });
    await q.addBulk(Array.from({ length: (i % 7) + 1 }, (_, j) => ({ name: 'job', data: { j } })));
    await q.close();
  }
  const triggers = names.map((name) => ref({ metric: 'redis_queue_depth', queueName: name, targetValue: '5' }, name, 'bench'));
  const metricNames = names.map((name) => `redis-queue-depth-${name}`);
  // Discovery finds them within its interval (15 s default); the first call after that answers.
  await eventually(async () => {
    for (const [i, t] of triggers.entries()) await client.getMetrics(t, metricNames[i] ?? '');
  }, 40_000, 500);
  // (2a) capacity: every ScaledObject calls again as soon as its answer is in.
  let errors = 0;
  const closed: number[] = [];
  const warmEnd = performance.now() + WARMUP_MS;
  const end = warmEnd + SECONDS * 1000;
  let cpuAtWarmEnd: { adapter: number; client: number } | undefined;
  const clientCpu = () => (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const warmTimer = setTimeout(() => (cpuAtWarmEnd = { adapter: procCpuSeconds(adapter.pid), client: clientCpu() }), WARMUP_MS);
  await Promise.all(
    triggers.map(async (t, i) => {
      const name = metricNames[i] ?? '';
      for (;;) {
        const s = performance.now();
        if (s >= end) return;
        try {
          await client.getMetrics(t, name);
        } catch {
          errors++;
        }
        if (s >= warmEnd) closed.push(performance.now() - s);
      }
    }),
  );
  clearTimeout(warmTimer);
  const cpuEnd = { adapter: procCpuSeconds(adapter.pid), client: clientCpu() };
  const adapterCpuUs = cpuAtWarmEnd ? ((cpuEnd.adapter - cpuAtWarmEnd.adapter) / closed.length) * 1e6 : NaN;
  const clientCpuUs = cpuAtWarmEnd ? ((cpuEnd.client - cpuAtWarmEnd.client) / closed.length) * 1e6 : NaN;
  closed.sort((a, b) => a - b);
  const rps = closed.length / SECONDS;
  const kedaRps = SCALED_OBJECTS * KEDA_RPC_PER_OBJECT;

  // (2b) latency: all ScaledObjects' scale loops ask at the same instant, once a second.
  phase(`GetMetrics: ${BURSTS} bursts of ${SCALED_OBJECTS} simultaneous calls, one per second`);
  const burst: number[] = [];
  for (let b = 0; b < BURSTS; b++) {
    const tick = performance.now();
    await Promise.all(
      triggers.map(async (t, i) => {
        const s = performance.now();
        try {
          await client.getMetrics(t, metricNames[i] ?? '');
        } catch {
          errors++;
        }
        burst.push(performance.now() - s);
      }),
    );
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - tick))));
  }
  burst.sort((a, b) => a - b);

  // (3) memory: many open push streams (KEDA holds one per external-push trigger).
  const STREAMS = 1000;
  phase(`memory: ${STREAMS} open StreamIsActive streams over the ${SCALED_OBJECTS} queues`);
  const rssBefore = procMemory(adapter.pid).rssMb;
  const many = triggers.flatMap((t) => Array.from({ length: Math.ceil(STREAMS / triggers.length) }, () => client.streamIsActive(t))).slice(0, STREAMS);
  cleanups.push(async () => many.forEach((m) => m.cancel()));
  await Promise.all(many.map((m) => m.waitFor(() => true, 20_000)));
  const rssWith = procMemory(adapter.pid).rssMb;
  for (const m of many) m.cancel();

  phase('done');
  const cpu = cpus();
  const x = (v: number) => (v >= 10 ? f0(v) : f1(v));
  console.log('');
  console.log(`ai-metrics-adapter KEDA scaler bench — ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, node ${process.version}`);
  console.log('');
  console.log(
    table(
      ['measurement', 'this adapter', 'reference', 'ratio'],
      [
        [`activation p50: queue.add → StreamIsActive true (${activation.length} trials)`, ms(pushP50), `polling trigger, ${POLL_S} s interval: ${ms(POLL_MEAN_MS)} (median)`, `${x(POLL_MEAN_MS / pushP50)}× sooner`],
        ['activation p99', ms(pushP99), `polling trigger: ${ms(POLL_P99_MS)} (p99)`, `${x(POLL_P99_MS / pushP99)}× sooner`],
        ['activation mean', ms(pushMean), `polling trigger: ${ms(POLL_MEAN_MS)} (mean)`, `${x(POLL_MEAN_MS / pushMean)}× sooner`],
        [`GetMetrics req/s, ${SCALED_OBJECTS} ScaledObjects in closed loop`, f0(rps), `KEDA's load for ${SCALED_OBJECTS} objects ≈ ${f0(kedaRps)} RPC/s`, `${x(rps / kedaRps)}× headroom`],
        [`GetMetrics p50, ${SCALED_OBJECTS} ScaledObjects asking at once`, ms(percentile(burst, 50)), `budget ${BUDGET_P99_MS} ms per call`, `${x(BUDGET_P99_MS / percentile(burst, 50))}× under`],
        [`GetMetrics p99, ${SCALED_OBJECTS} ScaledObjects asking at once`, ms(percentile(burst, 99)), `budget ${BUDGET_P99_MS} ms per call (HPA path deadline 3 s)`, `${x(BUDGET_P99_MS / percentile(burst, 99))}× under`],
        ['adapter CPU per GetMetrics (closed loop)', ms(adapterCpuUs / 1000), `budget ${BUDGET_P99_MS} ms per call`, `${x((BUDGET_P99_MS * 1000) / adapterCpuUs)}× under`],
      ],
    ),
  );
  console.log('');
  console.log(
    `push: min ${ms(activation[0] ?? NaN)}, max ${ms(activation[activation.length - 1] ?? NaN)}; the queue is emptied (job.remove) and the ` +
      `false seen before each trial. GetMetrics over one HTTP/2 connection, ${errors} errors: closed loop ${f0(closed.length)} calls, ` +
      `p50 ${ms(percentile(closed, 50))}, p99 ${ms(percentile(closed, 99))} (queueing behind ${SCALED_OBJECTS} in flight); ` +
      `bursts ${f0(burst.length)} calls. CPU per call: adapter ${f0(adapterCpuUs)} µs, bench client ${f0(clientCpuUs)} µs ` +
      `(${cpu.length} CPUs shared by both and Redis). Memory: ${many.length} open streams on ${triggers.length} triggers, adapter RSS ` +
      `${f1(rssBefore)} → ${f1(rssWith)} MB (≈ ${f1(((rssWith - rssBefore) * 1e6) / many.length / 1024)} kB per stream, GC noise included).`,
  );
}

const budget = setTimeout(() => {
  console.error(`bench:keda: over its ${BUDGET_MS / 1000} s budget, giving up`);
  void cleanup().finally(() => process.exit(1));
}, BUDGET_MS);
budget.unref();

main()
  .then(cleanup)
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    console.error('bench:keda failed:', err);
    await cleanup();
    process.exit(1);
  });
