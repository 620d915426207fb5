/**
 * Where scripts/build-kube.sh put etcd, kube-apiserver and kube-controller-manager: the same
 * directory the script computes (AMA_KUBE_BIN_DIR, or the cache directory named after the
 * k8s.io/kubernetes version pinned in test/e2e/kube/go.mod).
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const GO_MOD = join(REPO_ROOT, 'test/e2e/kube/go.mod');

export interface KubeBinaries {
  /** e.g. `v1.36.5`, from go.mod. */
  readonly version: string;
  readonly dir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
}

/** The pinned Kubernetes version (`k8s.io/kubernetes vX.Y.Z` in test/e2e/kube/go.mod). */
export function pinnedKubeVersion(): string {
  const match = /^\s*k8s\.io\/kubernetes (v1\.\d+\.\d+)\b/m.exec(readFileSync(GO_MOD, 'utf8'));
  if (!match?.[1]) throw new Error(`no k8s.io/kubernetes version in ${GO_MOD}`);
  return match[1];
}

/** The binaries' paths; they need not exist (see missingBinaries). */
export function kubeBinaries(env: NodeJS.ProcessEnv = process.env): KubeBinaries {
  const version = pinnedKubeVersion();
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = env.AMA_KUBE_BIN_DIR || join(cache, 'ai-metrics-adapter', `kube-${version}`);
  return {
    version,
    dir,
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
  };
}

/** Paths of the binaries that are missing or not executable (empty when all are there). */
export function missingBinaries(bins: KubeBinaries = kubeBinaries()): string[] {
  return [bins.etcd, bins.kubeApiserver, bins.kubeControllerManager].filter((path) => {
    try {
      accessSync(path, constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
}
