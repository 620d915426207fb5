/**
 * The load generator, run as its own process (see child.ts) so it never shares an event loop
 * with the server it measures. Node https with a keep-alive Agent; latency per request from
 * performance.now().
 */
import { Agent, request } from 'node:https';
import { serveParent } from './child.js';
import { Samples, percentile } from './stats.js';
import type { LoadJob, LoadResult, Target } from './load-types.js';

/** What the HPA's client sends; the adapter answers JSON to it. */
const ACCEPT = 'application/vnd.kubernetes.protobuf, */*';
const REQUEST_TIMEOUT_MS = 10_000;

interface Outcome {
  readonly ok: boolean;
  readonly reused: boolean;
  readonly error?: string;
}

function get(agent: Agent, t: Target): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request({ agent, host: t.host, port: t.port, path: t.path, method: 'GET', headers: { accept: ACCEPT } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('error', (err) => resolve({ ok: false, reused: req.reusedSocket, error: err.message }));
      res.on('end', () => {
        const ok = res.statusCode === 200 && bytes === t.expectBytes;
        resolve({ ok, reused: req.reusedSocket, ...(ok ? {} : { error: `HTTP ${res.statusCode}, ${bytes} bytes (want 200, ${t.expectBytes})` }) });
      });
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (err) => resolve({ ok: false, reused: req.reusedSocket, error: err.message }));
    req.end();
  });
}

class Recorder {
  readonly latencies = new Samples();
  errors = 0;
  newConnections = 0;
  firstError: string | undefined;
  lastDoneMs = 0;

  record(o: Outcome, latencyMs: number, doneMs: number): void {
    this.lastDoneMs = Math.max(this.lastDoneMs, doneMs);
    if (!o.reused) this.newConnections++;
    if (o.ok) this.latencies.push(latencyMs);
    else {
      this.errors++;
      this.firstError ??= o.error;
    }
  }

  result(windowStartMs: number, windowEndMs: number): LoadResult {
    const seconds = (Math.max(windowEndMs, this.lastDoneMs) - windowStartMs) / 1000;
    const sorted = this.latencies.sorted();
    return {
      requests: sorted.length,
      errors: this.errors,
      ...(this.firstError ? { firstError: this.firstError } : {}),
      newConnections: this.newConnections,
      seconds,
      rps: sorted.length / seconds,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.length ? (sorted[sorted.length - 1] ?? NaN) : NaN,
    };
  }
}

async function closedLoop(job: Extract<LoadJob, { kind: 'closed' }>): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency, maxFreeSockets: job.concurrency, ca: job.target.ca });
  const rec = new Recorder();
  const start = performance.now();
  const windowStart = start + job.warmupMs;
  const windowEnd = windowStart + job.durationMs;
  const worker = async () => {
    for (;;) {
      const sent = performance.now();
      if (sent >= windowEnd) return;
      const o = await get(agent, job.target);
      const done = performance.now();
      if (sent >= windowStart) rec.record(o, done - sent, done);
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  agent.destroy();
  return rec.result(windowStart, windowEnd);
}

async function openLoop(job: Extract<LoadJob, { kind: 'open' }>): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, ca: job.target.ca });
  const rec = new Recorder();
  const intervalMs = 1000 / job.rate;
  const total = Math.round(((job.warmupMs + job.durationMs) / 1000) * job.rate);
  const start = performance.now() + 5;
  const windowStart = start + job.warmupMs;
  const windowEnd = windowStart + job.durationMs;
  const inFlight = new Set<Promise<void>>();
  const fire = (scheduled: number) => {
    const p = get(agent, job.target).then((o) => {
      const done = performance.now();
      // From the scheduled time, so a stalled server cannot hide queued requests (no coordinated omission).
      if (scheduled >= windowStart) rec.record(o, done - scheduled, done);
      inFlight.delete(p);
    });
    inFlight.add(p);
  };
  await new Promise<void>((resolve) => {
    let i = 0;
    const pump = () => {
      const now = performance.now();
      while (i < total && start + i * intervalMs <= now) fire(start + i++ * intervalMs);
      if (i >= total) return resolve();
      setTimeout(pump, Math.max(0, start + i * intervalMs - performance.now()));
    };
    setTimeout(pump, 5);
  });
  await Promise.all([...inFlight]);
  agent.destroy();
  return rec.result(windowStart, windowEnd);
}

serveParent<LoadJob, LoadResult>((job) => (job.kind === 'closed' ? closedLoop(job) : openLoop(job)));
