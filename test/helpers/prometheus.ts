/**
 * Real Prometheus for tests: Debian `prometheus` on a free 127.0.0.1 port, TSDB in a temp
 * dir, scraping the given targets every second. Killed on stop()/cleanup() and, as a last
 * resort, on process exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { track } from './cleanup.js';

const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface ScrapeTarget {
  readonly job: string;
  /** Full URL of the metrics path, e.g. `http://127.0.0.1:4321/dcgm`. */
  readonly url: string;
}

export interface QuerySample {
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface PrometheusServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** SIGTERM (SIGKILL after 5 s) and wait for the exit; the TSDB stays. */
  stop(): Promise<void>;
  /** Start again on the same port and TSDB; resolves when ready and every target was scraped. */
  start(): Promise<void>;
  /** Instant query; resolves with the number of samples and their values. */
  query(promql: string): Promise<QuerySample[]>;
  /** Polls `promql` until `ok(samples)` or `timeoutMs`. */
  waitFor(promql: string, ok: (s: QuerySample[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Stop and remove the temp dir. */
  cleanup(): Promise<void>;
}

export async function startPrometheus(targets: readonly ScrapeTarget[]): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ama-prometheus-'));
  track.dir(dir);
  writeFileSync(join(dir, 'prometheus.yml'), configText(targets));
  const server = new PrometheusProcess(await freePort(), dir, targets.length);
  try {
    await server.start();
  } catch (err) {
    await server.cleanup();
    throw err;
  }
  return server;
}

/** honor_labels keeps the fixtures' own `namespace`/`pod` labels, as kubelet scrapes do. */
function configText(targets: readonly ScrapeTarget[]): string {
  const jobs = targets.map((t) => {
    const u = new URL(t.url);
    return [
      `  - job_name: ${JSON.stringify(t.job)}`,
      '    honor_labels: true',
      `    metrics_path: ${JSON.stringify(u.pathname)}`,
      '    static_configs:',
      `      - targets: [${JSON.stringify(u.host)}]`,
    ].join('\n');
  });
  const global = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', '  evaluation_interval: 1s'];
  return [...global, 'scrape_configs:', ...jobs, ''].join('\n');
}

class PrometheusProcess implements PrometheusServer {
  readonly url: string;
  private child: ChildProcess | undefined;
  private log = '';

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly targetCount: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error(`prometheus on ${this.port} is already running`);
    const args = [
      `--config.file=${join(this.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      '--log.level=warn',
    ];
    const child = spawn(PROMETHEUS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    track.child(child);
    const keep = (chunk: Buffer): void => {
      this.log = (this.log + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    const startedSec = Date.now() / 1000;
    await this.waitReady(child);
    // After a restart the old `up` samples are still in the lookback; demand fresh scrapes.
    const fresh = `count(up == 1 and timestamp(up) > ${startedSec.toFixed(3)})`;
    await this.waitFor(fresh, (s) => s[0]?.value === this.targetCount, 15_000);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    track.forgetDir(this.dir);
  }

  async query(promql: string): Promise<QuerySample[]> {
    const body = new URLSearchParams({ query: promql });
    const res = await fetch(`${this.url}/api/v1/query`, { method: 'POST', body });
    type Result = Array<{ metric: Record<string, string>; value: [number, string] }>;
    const json = (await res.json()) as { status: string; error?: string; data?: { result?: Result } };
    if (json.status !== 'success') throw new Error(`prometheus query ${promql}: ${json.error ?? res.status}`);
    return (json.data?.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  }

  async waitFor(
    promql: string,
    ok: (s: QuerySample[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        if (ok(await this.query(promql))) return;
      } catch (err) {
        last = err;
      }
      await sleep(200);
    }
    const why = String(last ?? 'condition false');
    throw new Error(`prometheus: "${promql}" not satisfied within ${timeoutMs} ms (${why})\n${this.log}`);
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`prometheus on ${this.port} exited:\n${this.log}`);
      }
      const ready = await fetch(`${this.url}/-/ready`).then(
        async (r) => {
          await r.body?.cancel();
          return r.ok;
        },
        () => false,
      );
      if (ready) return;
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error(`prometheus on ${this.port} not ready within 15 s:\n${this.log}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
