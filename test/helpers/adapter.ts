/**
 * The adapter as a real process (`ai-metrics-adapter serve`), started from the sources
 * with tsx, on free loopback ports, with its own .local directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './ports.js';

export interface AdapterProcess {
  readonly securePort: number;
  readonly httpPort: number;
  /** The KEDA external scaler's gRPC port. */
  readonly grpcPort: number;
  readonly kubeconfig: string;
  /** PEM of the self-signed serving certificate. */
  readonly ca: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** `config` is merged into the YAML config file; `args` are extra serve flags. */
export async function startAdapter(config: Record<string, unknown>, args: readonly string[] = []): Promise<AdapterProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'ama-adapter-'));
  const [securePort, httpPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, stringify({ localDir: dir, securePort, httpPort, grpcPort, logLevel: 'debug', ...config }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--standalone', '--config', configFile, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, REDIS_URL: undefined },
  });
  live.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForServing(() => out, exited);
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    live.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    securePort,
    httpPort,
    grpcPort: Number(config.grpcPort ?? grpcPort),
    kubeconfig: join(dir, 'kubeconfig'),
    ca: readFileSync(join(dir, 'serving-ca.crt'), 'utf8'),
    output: () => out,
    stop,
  };
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
