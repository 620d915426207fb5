/** kubectl 1.33 as the client, exactly as a user runs it. */
import { execFile, execFileSync } from 'node:child_process';

let cached: string | undefined;

/** Path of kubectl 1.33 (scripts/find-kubectl.sh); throws when the machine has none. */
export function kubectlPath(): string {
  cached ??= execFileSync('bash', ['scripts/find-kubectl.sh'], { encoding: 'utf8' }).trim();
  return cached;
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function kubectl(kubeconfig: string, args: readonly string[], timeoutMs = 20_000): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(kubectlPath(), ['--kubeconfig', kubeconfig, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `kubectl get --raw PATH`, parsed; rejects with kubectl's error text on failure. */
export async function getRaw<T = unknown>(kubeconfig: string, path: string): Promise<T> {
  const r = await kubectl(kubeconfig, ['get', '--raw', path]);
  if (r.code !== 0) throw new Error(`kubectl get --raw ${path}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}
