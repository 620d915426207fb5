/**
 * The adapter as it runs in production: `node dist/cli/main.js serve --standalone` (built by
 * `npm run bench:api`), not through tsx as test/helpers/adapter.ts does. tsx's loader thread
 * and esbuild add ~65 MB of RSS that a deployed adapter does not have, and RSS is measured here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnStandalone, type AdapterProcess } from '../../test/helpers/adapter.js';

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

export async function startBuiltAdapter(config: Record<string, unknown>, nodeArgs: readonly string[] = []): Promise<AdapterProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm run bench:api does)`);
  return spawnStandalone({ entry: [...productionNodeFlags(), ...nodeArgs, MAIN], config, logLevel: 'info', keepOutput: 20_000 });
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
