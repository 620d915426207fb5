/**
 * The adapter as it runs in production: `node dist/cli/main.js serve --standalone` (built by
 * `npm run bench:api`), not through tsx as test/helpers/adapter.ts does. tsx's loader thread
 * and esbuild add ~65 MB of RSS that a deployed adapter does not have, and RSS is measured here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { waitForServing } from '../../test/helpers/adapter.js';
import { freePort } from '../../test/helpers/ports.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

/**
 * The node flags `npm start` runs the adapter with (heap sizing; the Dockerfile's ENTRYPOINT
 * has the same), so the bench measures the process as deployed.
 */
export function productionNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const words = (pkg.scripts?.start ?? '').split(/\s+/);
  const afterNode = words.slice(words.indexOf('node') + 1);
  const script = afterNode.findIndex((w) => !w.startsWith('-'));
  return script < 0 ? afterNode : afterNode.slice(0, script);
}

export interface BuiltAdapter {
  readonly pid: number;
  readonly securePort: number;
  readonly httpPort: number;
  /** PEM of the self-signed serving certificate. */
  readonly ca: string;
  /** The last 20 kB the process wrote. */
  output(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export async function startBuiltAdapter(config: Record<string, unknown>, nodeArgs: readonly string[] = []): Promise<BuiltAdapter> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm run bench:api does)`);
  const dir = mkdtempSync(join(tmpdir(), 'ama-bench-adapter-'));
  const [securePort, httpPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const configFile = join(dir, 'config.yaml');
  // Every listener on a free port (the KEDA gRPC default 6000 may be taken by another run).
  writeFileSync(configFile, stringify({ localDir: dir, securePort, httpPort, grpcPort, logLevel: 'info', ...config }));
  const child = spawn(process.execPath, [...productionNodeFlags(), ...nodeArgs, MAIN, 'serve', '--standalone', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, REDIS_URL: undefined },
  });
  live.add(child);
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
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
    ca: readFileSync(join(dir, 'serving-ca.crt'), 'utf8'),
    output: () => out,
    stop,
  };
}


export interface ProcMemory {
  readonly rssMb: number;
  readonly hwmMb: number;
}

/** VmRSS and VmHWM (peak RSS) from /proc/<pid>/status, in MB (10^6 bytes). */
export function procMemory(pid: number): ProcMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: (kb('VmRSS') * 1024) / 1e6, hwmMb: (kb('VmHWM') * 1024) / 1e6 };
}

/** User + system CPU seconds the process has used (/proc/<pid>/stat, fields 14 and 15). */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
