/**
 * `npm run bench:api`: throughput and latency of the metrics API against a minimal Node
 * HTTPS server returning the same bytes (the ceiling), with 10 000 GPU pods and 1 000 BullMQ
 * queues in the store, plus the adapter's RSS. Prints one table; targets are marked
 * PASS/MISS but never fail the run (a benchmark, not a test). Exit code 1 only when the bench
 * itself could not run.
 *
 *   (a) GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/bench-500/pods/*\/nvidia_gpu_duty_cycle  (500 pods)
 *   (b) GET /apis/external.metrics.k8s.io/v1beta1/namespaces/default/redis_queue_depth?labelSelector=queue_name=stt-queue
 *
 * Knobs (environment): BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_CONCURRENCY (32),
 * BENCH_RATE (200), BENCH_DCGM_INTERVAL (10 s, the adapter default), BENCH_BULLMQ_INTERVAL
 * (2 s, the default), BENCH_ADAPTER_NODE_ARGS (extra node flags for the adapter, e.g. --cpu-prof; the
 * heap flags of `npm start` are always passed, see bench/lib/adapter.ts).
 */
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '../test/helpers/redis.js';
import { FixtureServer } from '../test/helpers/fixture-server.js';
import { renderDcgm } from '../test/helpers/fixture-text.js';
import { eventually, type AdapterProcess } from '../test/helpers/adapter.js';
import { procCpuSeconds, procMemory, startBuiltAdapter } from './lib/adapter.js';
import { forkTs, type TsChild } from './lib/child.js';
import { machineBusySeconds, treeCpuSeconds } from './lib/proc.js';
import type { CeilingInfo, CeilingStart } from './lib/ceiling-server.js';
import { BENCH_NAMESPACE, KNOWN_QUEUE, KNOWN_QUEUE_TOTAL, benchGpus, benchNamespaces, createQueues } from './lib/fixtures.js';
import type { LoadJob, LoadResult, Target } from './lib/load-types.js';

const num = (name: string, def: number) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const SECONDS = num('BENCH_SECONDS', 10);
const WARMUP_MS = num('BENCH_WARMUP_SECONDS', 2) * 1000;
const CONCURRENCY = num('BENCH_CONCURRENCY', 32);
const RATE = num('BENCH_RATE', 200);
const DCGM_INTERVAL = num('BENCH_DCGM_INTERVAL', 10);
const BULLMQ_INTERVAL = num('BENCH_BULLMQ_INTERVAL', 2);
const ADAPTER_NODE_ARGS = (process.env.BENCH_ADAPTER_NODE_ARGS ?? '').split(' ').filter(Boolean);

const PODS = 10_000;
const BENCH_PODS = 500;
const QUEUES = 1_000;

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 10;
const TARGET_RSS_MB = 150;
/** This process, setup and cleanup included (~110 s normally); with `npm run build` before it, under 3 minutes. */
const BUDGET_MS = 160_000;

const PATH_A = `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${BENCH_NAMESPACE}/pods/*/nvidia_gpu_duty_cycle`;
const PATH_B = `/apis/external.metrics.k8s.io/v1beta1/namespaces/default/redis_queue_depth?labelSelector=${encodeURIComponent(`queue_name=${KNOWN_QUEUE}`)}`;

// ---------------------------------------------------------------- cleanup, budget, signals

const cleanups: Array<() => Promise<void>> = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.error(`cleanup: ${String(err)}`));
  })();
  return cleaning;
}
let stopping = false;
function bail(code: number, why: string): void {
  if (stopping) return;
  stopping = true;
  console.error(`bench:api: ${why}`);
  void cleanup().finally(() => process.exit(code));
}
process.once('SIGINT', () => bail(130, 'interrupted'));
process.once('SIGTERM', () => bail(143, 'terminated'));
const budget = setTimeout(() => bail(1, `over its ${BUDGET_MS / 1000} s budget, stopped`), BUDGET_MS);

// ---------------------------------------------------------------- small HTTPS GET for checks

interface Got {
  readonly status: number;
  readonly body: string;
}

function fetchOnce(port: number, path: string, ca: string): Promise<Got> {
  return new Promise((resolve, reject) => {
    const agent = new Agent({ keepAlive: false, ca });
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`GET ${path}: no answer in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

interface List {
  items: Array<{ value: string; describedObject?: { name: string } }>;
}

async function getList(adapter: AdapterProcess, path: string): Promise<{ list: List; body: string }> {
  const got = await fetchOnce(adapter.securePort, path, adapter.ca);
  if (got.status !== 200) throw new Error(`GET ${path}: HTTP ${got.status} ${got.body.slice(0, 300)}`);
  return { list: JSON.parse(got.body) as List, body: got.body };
}

/** The adapter's own /metrics (plain HTTP): event-loop lag since the last scrape, poll durations. */
function scrapeSelfMetrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.setTimeout(5_000, () => req.destroy(new Error('GET /metrics: no answer in 5 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Sum of the samples of `name` whose label text includes `labelPart`. */
function metricValue(text: string, name: string, labelPart = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || !line.includes(labelPart)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

// ---------------------------------------------------------------- formatting

const f0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');
const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- the run

interface Run {
  readonly result: LoadResult;
  /** Adapter CPU ms per answered request (adapter runs only). */
  readonly cpuMsPerRequest?: number;
}

let adapterOutput: (() => string) | undefined;

async function main(): Promise<void> {
  const t0 = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const phase = (what: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${what}`);

  phase(`setup: redis-server + ${QUEUES} BullMQ queues, dcgm fixture with ${PODS} pods`);
  const redis = await startRedis();
  cleanups.push(() => redis.cleanup());
  await createQueues(redis.port, QUEUES);
  const fixture = await FixtureServer.start();
  cleanups.push(() => fixture.close());
  fixture.state.gpus = benchGpus(PODS, BENCH_PODS);
  const fixtureBytes = Buffer.byteLength(renderDcgm(fixture.state.gpus, fixture.state.dcgmLabels));

  phase(`starting the adapter (node dist/cli/main.js; dcgm every ${DCGM_INTERVAL} s, bullmq every ${BULLMQ_INTERVAL} s)`);
  const adapter = await startBuiltAdapter(
    {
      dcgm: { urls: [fixture.url('/dcgm')], intervalSeconds: DCGM_INTERVAL, timeoutSeconds: 5 },
      bullmq: { urls: [redis.url], intervalSeconds: BULLMQ_INTERVAL, timeoutSeconds: 2 },
    },
    ADAPTER_NODE_ARGS,
  );
  cleanups.push(() => adapter.stop());
  adapterOutput = () => adapter.output();

  const a = await eventually(async () => {
    const got = await getList(adapter, PATH_A);
    if (got.list.items.length !== BENCH_PODS) throw new Error(`(a) answers ${got.list.items.length} pods, want ${BENCH_PODS}`);
    return got;
  }, 30_000, 250);
  const b = await eventually(async () => {
    const got = await getList(adapter, PATH_B);
    const value = got.list.items[0]?.value;
    if (got.list.items.length !== 1 || value !== String(KNOWN_QUEUE_TOTAL)) {
      throw new Error(`(b) answers ${JSON.stringify(got.list.items)}, want one item of value ${KNOWN_QUEUE_TOTAL}`);
    }
    return got;
  }, 30_000, 250);
  // Proof the whole data set is in the store, not just the queried part.
  let podsServed = 0;
  for (const ns of benchNamespaces(PODS, BENCH_PODS)) {
    podsServed += (await getList(adapter, `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${ns}/pods/*/nvidia_gpu_duty_cycle`)).list.items.length;
  }
  const queuesServed = (await getList(adapter, '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/redis_queue_depth')).list.items.length;
  if (podsServed !== PODS || queuesServed !== QUEUES) throw new Error(`store holds ${podsServed} pods and ${queuesServed} queues, want ${PODS} and ${QUEUES}`);
  const bodyA = Buffer.byteLength(a.body);
  const bodyB = Buffer.byteLength(b.body);
  phase(`store loaded: ${podsServed} pods, ${queuesServed} queues; (a) body ${bodyA} B, (b) body ${bodyB} B`);

  let rssPeak = 0;
  /** The row running when the peak was sampled: a peak in a closed-loop row is not a store-size effect. */
  let rowNow = 'idle';
  let rssPeakRow = rowNow;
  const sampleRss = () => {
    const rss = procMemory(adapter.pid).rssMb;
    if (rss > rssPeak) [rssPeak, rssPeakRow] = [rss, rowNow];
  };
  sampleRss();
  const sampler = setInterval(sampleRss, 250);
  cleanups.push(async () => clearInterval(sampler));

  const ceiling = forkTs(join(import.meta.dirname, 'lib', 'ceiling-server.ts'), 'ceiling server');
  cleanups.push(() => ceiling.stop());
  const ceilingInfo = await ceiling.call<CeilingInfo>({ routes: { [PATH_A]: a.body, [PATH_B]: b.body } } satisfies CeilingStart);
  const load: TsChild = forkTs(join(import.meta.dirname, 'lib', 'load-client.ts'), 'load client');
  cleanups.push(() => load.stop());

  const adapterTarget = (path: string, expectBytes: number): Target => ({ host: '127.0.0.1', port: adapter.securePort, path, ca: adapter.ca, expectBytes });
  const ceilingTarget = (path: string, expectBytes: number): Target => ({ host: '127.0.0.1', port: ceilingInfo.port, path, ca: ceilingInfo.ca, expectBytes });
  const timing = { warmupMs: WARMUP_MS, durationMs: SECONDS * 1000 };
  /** CPU of this bench's process tree (adapter, redis, load client, ceiling, this one); the rest of the machine's is foreign. */
  const ours = () => treeCpuSeconds(process.pid);
  let worstForeign = 0;
  const run = async (label: string, job: LoadJob, measureAdapter: boolean): Promise<Run> => {
    phase(`${label} …`);
    rowNow = label;
    await scrapeSelfMetrics(adapter.httpPort); // resets the event-loop lag histogram
    const [cpu0, ours0, busy0, wall0] = [procCpuSeconds(adapter.pid), ours(), machineBusySeconds(), performance.now()];
    const result = await load.call<LoadResult>(job);
    const cpu = procCpuSeconds(adapter.pid) - cpu0;
    const foreign = Math.max(0, machineBusySeconds() - busy0 - (ours() - ours0)) / ((performance.now() - wall0) / 1000);
    worstForeign = Math.max(worstForeign, foreign);
    const lagMs = metricValue(await scrapeSelfMetrics(adapter.httpPort), 'nodejs_eventloop_lag_max_seconds') * 1000;
    const note = result.errors ? `, ${result.errors} ERRORS (first: ${result.firstError})` : '';
    phase(`${label}: ${f0(result.rps)} req/s, p50 ${f2(result.p50Ms)} ms, p99 ${f2(result.p99Ms)} ms, max ${f2(result.maxMs)} ms, ` +
      `${result.newConnections} new connections, adapter event-loop lag max ${f0(lagMs)} ms, ` +
      `other processes ${f0(foreign * 100)} % CPU${note}`);
    return { result, ...(measureAdapter ? { cpuMsPerRequest: (cpu * 1000) / Math.max(1, result.requests) } : {}) };
  };
  const closed = (t: Target): LoadJob => ({ kind: 'closed', target: t, concurrency: CONCURRENCY, ...timing });
  const open = (t: Target): LoadJob => ({ kind: 'open', target: t, rate: RATE, ...timing });

  const aAdapter = await run('(a) adapter, closed loop', closed(adapterTarget(PATH_A, bodyA)), true);
  const aCeiling = await run('(a) ceiling, closed loop', closed(ceilingTarget(PATH_A, bodyA)), false);
  const bAdapter = await run('(b) adapter, closed loop', closed(adapterTarget(PATH_B, bodyB)), true);
  const bCeiling = await run('(b) ceiling, closed loop', closed(ceilingTarget(PATH_B, bodyB)), false);
  const aRate = await run(`(a) adapter, ${RATE} req/s`, open(adapterTarget(PATH_A, bodyA)), true);
  const aRateCeiling = await run(`(a) ceiling, ${RATE} req/s`, open(ceilingTarget(PATH_A, bodyA)), false);
  const bRate = await run(`(b) adapter, ${RATE} req/s`, open(adapterTarget(PATH_B, bodyB)), true);
  const bRateCeiling = await run(`(b) ceiling, ${RATE} req/s`, open(ceilingTarget(PATH_B, bodyB)), false);

  clearInterval(sampler);
  const mem = procMemory(adapter.pid);
  rssPeak = Math.max(rssPeak, mem.rssMb);
  const errors = [aAdapter, aCeiling, bAdapter, bCeiling, aRate, aRateCeiling, bRate, bRateCeiling].reduce((n, r) => n + r.result.errors, 0);

  const caseA = `(a) pods/*/nvidia_gpu_duty_cycle, ${BENCH_PODS} pods, ${bodyA} B`;
  const caseB = `(b) external redis_queue_depth, 1 queue of ${QUEUES}, ${bodyB} B`;
  const throughputRow = (name: string, adapterRun: Run, ceilingRun: Run): string[][] => {
    const ratio = adapterRun.result.rps / ceilingRun.result.rps;
    const ok = ratio >= TARGET_RATIO && adapterRun.result.errors === 0;
    return [
      [name, `adapter, ${CONCURRENCY} conns`, f0(adapterRun.result.rps), f2(adapterRun.result.p50Ms), f2(adapterRun.result.p99Ms), f2(ratio), `ratio ≥ ${f2(TARGET_RATIO)}`, mark(ok)],
      [name, `ceiling, ${CONCURRENCY} conns`, f0(ceilingRun.result.rps), f2(ceilingRun.result.p50Ms), f2(ceilingRun.result.p99Ms), '1.00', '', ''],
    ];
  };
  const rateRow = (name: string, adapterRun: Run, ceilingRun: Run): string[][] => {
    const ok = adapterRun.result.p99Ms <= TARGET_P99_MS && adapterRun.result.errors === 0;
    return [
      [name, `adapter, ${RATE} req/s`, f0(adapterRun.result.rps), f2(adapterRun.result.p50Ms), f2(adapterRun.result.p99Ms), '', `p99 ≤ ${TARGET_P99_MS} ms`, mark(ok)],
      [name, `ceiling, ${RATE} req/s`, f0(ceilingRun.result.rps), f2(ceilingRun.result.p50Ms), f2(ceilingRun.result.p99Ms), '', '', ''],
    ];
  };
  const rows = [
    ...throughputRow(caseA, aAdapter, aCeiling),
    ...throughputRow(caseB, bAdapter, bCeiling),
    ...rateRow(caseA, aRate, aRateCeiling),
    ...rateRow(caseB, bRate, bRateCeiling),
    [`adapter RSS, ${PODS} pods + ${QUEUES} queues in the store`, `after load ${f2(mem.rssMb)} MB`, '', '', '', '',
      `peak ${f2(rssPeak)} MB ≤ ${TARGET_RSS_MB} MB`, mark(rssPeak <= TARGET_RSS_MB)],
  ];

  const cpu = cpus();
  console.log('');
  console.log(`ai-metrics-adapter API bench — ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, node ${process.version}, ` +
    `${f0(WARMUP_MS / 1000)} s warm-up + ${SECONDS} s per row, HTTPS keep-alive, load generator in its own process`);
  console.log('');
  console.log(table(['case', 'server, load', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'target', 'result'], rows));
  console.log('');
  console.log(`ratio = adapter req/s ÷ ceiling req/s (minimal node https server, same certificate type, same bytes). ` +
    `Fixed-rate rows: open loop, latency from the scheduled send time.`);
  console.log(`RSS: VmRSS of the adapter process, peak of 250 ms samples from store loaded to end of load, reached in "${rssPeakRow}" ` +
    `(VmHWM incl. start-up ${f2(mem.hwmMb)} MB).`);
  const selfMetrics = await scrapeSelfMetrics(adapter.httpPort);
  const poll = (source: string) => {
    const n = metricValue(selfMetrics, 'ai_metrics_adapter_source_poll_duration_seconds_count', `source="${source}`);
    const sum = metricValue(selfMetrics, 'ai_metrics_adapter_source_poll_duration_seconds_sum', `source="${source}`);
    const failed = metricValue(selfMetrics, 'ai_metrics_adapter_source_poll_errors_total', `source="${source}`);
    return `${f0(n)} polls, mean ${f0((sum / Math.max(1, n)) * 1000)} ms, ${f0(failed)} failed`;
  };
  const mb = (name: string) => f2(metricValue(selfMetrics, name) / 1e6);
  console.log(`adapter memory at the end: V8 heap ${mb('nodejs_heap_size_used_bytes')} MB used of ${mb('nodejs_heap_size_total_bytes')} MB, ` +
    `external ${mb('nodejs_external_memory_bytes')} MB; the rest of RSS is the node binary (~41 MB) and native allocations.`);
  console.log(`polls during the run: dcgm (${PODS} pods, ${f2(fixtureBytes / 1e6)} MB text) ${poll('dcgm:')}; bullmq (${QUEUES} queues) ${poll('bullmq:')}.`);
  if (worstForeign > 0.15 || loadAtStart > 1) {
    console.log(`WARNING: the machine was not quiet (1-min load ${f2(loadAtStart)} at start; other processes used up to ` +
      `${f0(worstForeign * 100)} % of a core during a row): numbers are pessimistic; run again on an idle machine.`);
  }
  console.log(`adapter CPU per request: (a) ${f2(aAdapter.cpuMsPerRequest ?? NaN)} ms, (b) ${f2(bAdapter.cpuMsPerRequest ?? NaN)} ms (closed loop, polls included); ` +
    `non-200 or wrong-size answers: ${errors}; total run ${f0((performance.now() - t0) / 1000)} s.`);
}

main().then(
  async () => {
    clearTimeout(budget);
    await cleanup();
    process.exit(0);
  },
  async (err: unknown) => {
    clearTimeout(budget);
    if (stopping) return; // interrupted: bail() cleans up and exits
    console.error(`bench:api failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    if (adapterOutput) console.error(`adapter output (tail):\n${adapterOutput().slice(-4000)}`);
    await cleanup();
    process.exit(1);
  },
);
