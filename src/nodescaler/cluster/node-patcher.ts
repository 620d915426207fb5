import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node, type V1Taint } from '@kubernetes/client-node';
import type { NodePatcher } from './contracts.js';
import { httpCode, kubeError } from './kube-errors.js';

/**
 * Cordon and taint patches on Nodes. Every method reads first and writes only when the node is
 * not already in the wanted state, so repeating a plan costs reads, not writes (and no spurious
 * node update events for every watcher in the cluster).
 *
 * Taints are a list, which a merge patch would replace wholesale — clobbering taints another
 * controller added in between. So taints are edited with get → edit → replace carrying the read
 * resourceVersion, and a 409 (someone else wrote first) re-reads and tries again.
 */

type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface KubeNodePatcherOptions {
  /** Attempts of a taint edit that keeps hitting 409 Conflict (default 5). */
  conflictAttempts?: number;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class KubeNodePatcher implements NodePatcher {
  private readonly core: CoreV1Api;
  private readonly attempts: number;

  constructor(kc: KubeConfig, options: KubeNodePatcherOptions = {}) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.attempts = Math.max(1, options.conflictAttempts ?? 5);
  }

  cordon(node: string): Promise<void> {
    return this.setUnschedulable(node, true);
  }

  uncordon(node: string): Promise<void> {
    return this.setUnschedulable(node, false);
  }

  taint(node: string, taint: { key: string; value?: string; effect: TaintEffect }): Promise<void> {
    return this.editTaints(node, `taint ${taint.key}=${taint.value ?? ''}:${taint.effect}`, true, (taints) => {
      const sameKey = taints.filter((t) => t.key === taint.key);
      const present = sameKey.length === 1 && sameKey[0]?.effect === taint.effect && (sameKey[0].value ?? '') === (taint.value ?? '');
      if (present) return undefined;
      // One taint per key: a new value (e.g. a later deadline) replaces the old one rather than piling up.
      const added: V1Taint = { key: taint.key, effect: taint.effect, ...(taint.value !== undefined ? { value: taint.value } : {}) };
      return [...taints.filter((t) => t.key !== taint.key), added];
    });
  }

  untaint(node: string, key: string): Promise<void> {
    return this.editTaints(node, `untaint ${key}`, false, (taints) => {
      const kept = taints.filter((t) => t.key !== key);
      return kept.length === taints.length ? undefined : kept;
    });
  }

  /** A missing Node is already uncordoned (nothing to do) but cannot be cordoned (an error). */
  private async setUnschedulable(name: string, want: boolean): Promise<void> {
    const what = `${want ? 'cordon' : 'uncordon'} node ${name}`;
    const node = await this.read(name, what, want);
    if (!node || Boolean(node.spec?.unschedulable) === want) return;
    try {
      await this.core.patchNode({ name, body: { spec: { unschedulable: want ? true : null } } }, MERGE_PATCH);
    } catch (err) {
      if (!want && httpCode(err) === 404) return;
      throw kubeError(err, what);
    }
  }

  /**
   * `edit` returns the new taint list, or undefined when the node already is as wanted.
   * `mustExist` = false treats a missing Node as done (removing a taint from a gone node).
   */
  private async editTaints(name: string, what: string, mustExist: boolean, edit: (taints: V1Taint[]) => V1Taint[] | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const node = await this.read(name, `${what} on node ${name}`, mustExist);
      if (!node) return;
      const taints = edit(node.spec?.taints ?? []);
      if (!taints) return;
      node.spec = { ...node.spec, taints };
      try {
        // replaceNode sends the read metadata.resourceVersion: the write only lands on the version we edited.
        await this.core.replaceNode({ name, body: node });
        return;
      } catch (err) {
        const code = httpCode(err);
        if (code === 409 && attempt < this.attempts) continue;
        if (code === 404 && !mustExist) return;
        throw kubeError(err, `${what} on node ${name}${code === 409 ? ` (still conflicting after ${attempt} attempts)` : ''}`);
      }
    }
  }

  private async read(name: string, what: string, mustExist: boolean): Promise<V1Node | undefined> {
    try {
      return await this.core.readNode({ name });
    } catch (err) {
      if (httpCode(err) === 404 && !mustExist) return undefined;
      throw kubeError(err, what);
    }
  }
}
