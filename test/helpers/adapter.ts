/**
 * The adapter as a real process (`ai-metrics-adapter serve --standalone`), on free loopback
 * ports, with its own .local directory: from the sources with tsx for the tests, from dist/
 * with the production node flags for the benches (bench/lib/adapter.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './ports.js';

export interface AdapterProcess {
  readonly pid: number;
  readonly securePort: number;
  readonly httpPort: number;
  /** The KEDA external scaler's gRPC port. */
  readonly grpcPort: number;
  readonly kubeconfig: string;
  /** PEM of the self-signed serving certificate. */
  readonly ca: string;
  /** What the process wrote to stdout and stderr so far (the last `keepOutput` characters). */
  output(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Node arguments up to and including the entry script (`--import tsx src/cli/main.ts`, or the built one). */
  readonly entry: readonly string[];
  /** Merged into the YAML config file. */
  readonly config: Record<string, unknown>;
  /** Extra `serve` flags. */
  readonly args?: readonly string[];
  readonly logLevel?: string;
  /** Bound on the output kept (a long bench at info level writes a lot). Default: all of it. */
  readonly keepOutput?: number;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** `ai-metrics-adapter serve --standalone` as a process, on free loopback ports, with its own .local directory. */
export async function spawnStandalone(o: SpawnOptions): Promise<AdapterProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'ama-adapter-'));
  const [securePort, httpPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const configFile = join(dir, 'config.yaml');
  // Every listener on a free port (the KEDA gRPC default 6000 may be taken by another run).
  writeFileSync(configFile, stringify({ localDir: dir, securePort, httpPort, grpcPort, logLevel: o.logLevel ?? 'debug', ...o.config }));
  const child = spawn(process.execPath, [...o.entry, 'serve', '--standalone', '--config', configFile, ...(o.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, REDIS_URL: undefined },
  });
  live.add(child);
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (o.keepOutput !== undefined && out.length > o.keepOutput) out = out.slice(-o.keepOutput);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    live.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForServing(() => out, exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: child.pid ?? 0,
    securePort,
    httpPort,
    grpcPort: Number(o.config.grpcPort ?? grpcPort),
    kubeconfig: join(dir, 'kubeconfig'),
    ca: readFileSync(join(dir, 'serving-ca.crt'), 'utf8'),
    output: () => out,
    stop,
  };
}

/** The adapter from the sources (tsx). `config` is merged into the YAML config file; `args` are extra serve flags. */
export function startAdapter(config: Record<string, unknown>, args: readonly string[] = []): Promise<AdapterProcess> {
  return spawnStandalone({ entry: ['--import', 'tsx', 'src/cli/main.ts'], config, args });
}

/** Resolves once the adapter logs that it serves; rejects if it exits first or takes over 20 s. */
export async function waitForServing(output: () => string, exited: Promise<void>): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (output().includes('"msg":"serving"')) return;
    if (done) throw new Error(`adapter exited before serving:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`adapter did not start within 20s:\n${output()}`);
}

/** Polls `check` until it returns without throwing, or fails with its last error. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000, stepMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}
