import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PodInfoCache } from '../src/nodescaler/cluster/pod-info-cache.js';
import { buildSnapshot } from '../src/nodescaler/cluster/snapshot-builder.js';
import { decide } from '../src/nodescaler/decide.js';
import { benchObjects } from './node-scaler-objects.js';
import type { Snapshot } from '../src/nodescaler/types.js';
import { DEFAULT_SHAPE, benchSnapshot, type BenchShape } from './node-scaler-snapshot.js';

/**
 * `npm run bench:node-scaler`: CPU time of one decide() tick on synthetic clusters, and of the
 * controller's whole tick without I/O (buildSnapshot from the informers' objects + decide). Not a
 * test: it prints a table; the target is p99 ≤ 100 ms for the main row (Cluster Autoscaler's
 * published loop budget is 10 s at 1 000 nodes).
 */

const WARMUP = 5;
const RUNS = Number(process.env.BENCH_RUNS ?? 60);
const TARGET_P99_MS = 100;

interface Row {
  scenario: string;
  shape: BenchShape;
  /** Feed the plan's state back so later ticks see unneeded timers, requests, … */
  steadyState: boolean;
  /** Time buildSnapshot() from Kubernetes objects too: the controller's whole tick without I/O. */
  fromObjects?: 'cold' | 'steady';
}

const ROWS: Row[] = [
  { scenario: 'burst: first tick', shape: DEFAULT_SHAPE, steadyState: false },
  { scenario: 'burst: steady ticks', shape: DEFAULT_SHAPE, steadyState: true },
  { scenario: 'no pending, scale-down due', shape: { ...DEFAULT_SHAPE, pendingGpuPods: 0, unneededMinutes: 15 }, steadyState: false },
  { scenario: 'burst + 50 nodes interrupted', shape: { ...DEFAULT_SHAPE, interruptedNodes: 50 }, steadyState: true },
  { scenario: 'whole tick, every pod converted', shape: DEFAULT_SHAPE, steadyState: true, fromObjects: 'cold' },
  { scenario: 'whole tick, steady (pods unchanged)', shape: DEFAULT_SHAPE, steadyState: true, fromObjects: 'steady' },
];

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Collect the previous row's garbage first so rows do not pay for each other (needs --expose-gc). */
function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function measure(row: Row): { times: number[]; cpu: number[]; summary: ReturnType<typeof decide>['summary'] } {
  const base = benchSnapshot(row.shape);
  const cluster = row.fromObjects ? { ...benchObjects(base), podCache: new PodInfoCache() } : undefined;
  collect();
  let snap: Snapshot = base;
  let summary = decide(base).summary;
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    if (cluster && row.fromObjects === 'cold') cluster.podCache = new PodInfoCache();
    if (cluster) snap = buildSnapshot({ now: snap.now, config: base.config, state: snap.state, objects: cluster.objects, observations: cluster.observations, podCache: cluster.podCache, dcgm: () => ({ util: 0.5, ageSeconds: 5 }) });
    const plan = decide(snap);
    const dt = performance.now() - t0;
    const dc = process.cpuUsage(c0);
    if (i >= WARMUP) {
      times.push(dt);
      cpu.push((dc.user + dc.system) / 1000);
    }
    summary = plan.summary;
    // Steady state: the same cluster ten seconds later, with the memory of the last tick.
    if (row.steadyState) snap = { ...base, now: base.now + (i + 1) * 10_000, state: plan.state };
  }
  return { times: times.sort((a, b) => a - b), cpu: cpu.sort((a, b) => a - b), summary };
}

const header = ['scenario', 'nodes', 'pods', 'pending GPU pods', 'pools', 'p50 ms', 'p99 ms', 'max ms', 'CPU p50 ms', 'CPU p99 ms', 'new nodes', 'deferred', 'removed', 'drains'];
const lines: string[][] = [];
let mainP99 = 0;
for (const row of ROWS) {
  const { times, cpu, summary } = measure(row);
  const p99 = percentile(times, 0.99);
  if (row === ROWS[0]) mainP99 = p99;
  lines.push([
    row.scenario,
    String(row.shape.nodes),
    String(row.shape.pods),
    String(row.shape.pendingGpuPods),
    String(row.shape.pools),
    percentile(times, 0.5).toFixed(1),
    p99.toFixed(1),
    times[times.length - 1]!.toFixed(1),
    percentile(cpu, 0.5).toFixed(1),
    percentile(cpu, 0.99).toFixed(1),
    String(summary.newNodes),
    String(summary.deferred),
    String(summary.removedNodes),
    String(summary.drainingNodes),
  ]);
}

const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const fmt = (cells: string[]) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
const load = loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`decide() on Node ${process.version}, ${cpus().length} CPUs (load average ${load}), ${RUNS} runs per row after ${WARMUP} warm-up runs; wall time and process CPU time (GC threads included)`);
console.log(fmt(header));
console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
for (const l of lines) console.log(fmt(l));
console.log(`target: p99 ≤ ${TARGET_P99_MS} ms for 1 000 nodes × 8 GPUs, 30 000 pods, 5 000 pending GPU pods, 50 pools → ${mainP99 <= TARGET_P99_MS ? 'met' : 'NOT met'} (${mainP99.toFixed(1)} ms)`);
