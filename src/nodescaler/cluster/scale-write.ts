import { httpCode, kubeError } from './kube-errors.js';

const CONFLICT_RETRIES = 3;

export interface ScaleTarget {
  /** e.g. `MachineDeployment capi/gpu-spot`, for errors. */
  description: string;
  /** The current replica count and the resourceVersion it was read at. */
  read(): Promise<{ replicas: number; resourceVersion?: string }>;
  /** Writes `replicas`, conditional on `resourceVersion` (a 409 when someone wrote in between). */
  write(replicas: number, resourceVersion: string | undefined): Promise<void>;
}

/**
 * The level-triggered replica write every scale-subresource engine shares: read, do nothing when
 * already there, else a resourceVersion-guarded write, re-read and retried on conflicts.
 */
export async function writeReplicas(target: ScaleTarget, replicas: number): Promise<void> {
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`${target.description}: refusing to set replicas to ${replicas}`);
  for (let attempt = 1; ; attempt++) {
    const current = await target.read();
    if (current.replicas === replicas) return;
    try {
      await target.write(replicas, current.resourceVersion);
      return;
    } catch (err) {
      if (httpCode(err) === 409 && attempt < CONFLICT_RETRIES) continue;
      throw kubeError(err, `set replicas of ${target.description} to ${replicas}`);
    }
  }
}
