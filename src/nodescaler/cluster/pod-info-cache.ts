import type { V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { PodInfo } from '../types.js';
import { toPodInfo } from './convert-pod.js';
import { PdbIndex } from './label-selector.js';

/**
 * Converted pods kept across ticks. An informer replaces a pod object whenever the pod changes,
 * so the object itself is the version: a steady tick converts only the pods that changed
 * (converting all 30 000 each tick is most of a tick's time and garbage). The PDB links are part
 * of the conversion, so any PDB change starts the cache over. decide() never mutates a PodInfo.
 */
export class PodInfoCache {
  private byPod = new WeakMap<V1Pod, PodInfo | null>();
  private pdbVersion = '';

  convert(pods: readonly V1Pod[], pdbs: readonly V1PodDisruptionBudget[]): PodInfo[] {
    const version = pdbsVersion(pdbs);
    if (version !== this.pdbVersion) {
      this.byPod = new WeakMap();
      this.pdbVersion = version;
    }
    let index: PdbIndex | undefined;
    const out: PodInfo[] = [];
    for (const pod of pods) {
      let info = this.byPod.get(pod);
      if (info === undefined) {
        index ??= new PdbIndex(pdbs);
        info = toPodInfo(pod, index) ?? null;
        this.byPod.set(pod, info);
      }
      if (info) out.push(info);
    }
    return out;
  }
}

/** Objects without a resourceVersion (tests, files) are keyed by their selector instead. */
function pdbsVersion(pdbs: readonly V1PodDisruptionBudget[]): string {
  let v = '';
  for (const p of pdbs) v += `${p.metadata?.namespace}/${p.metadata?.name}@${p.metadata?.resourceVersion ?? JSON.stringify(p.spec?.selector ?? null)};`;
  return v;
}
