import {
  CoreV1Api,
  ListWatch,
  PolicyV1Api,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Node,
  type V1Pod,
  type V1PodDisruptionBudget,
} from '@kubernetes/client-node';
import type { Logger } from '../../util/log.js';
import { errorMessage } from '../../util/errors.js';
import type { ClusterObjects } from './snapshot-builder.js';

const RESTART_DELAY_MS = 2_000;

/** Terminal pods hold nothing and never need a node: the API server filters them out for us. */
const NON_TERMINAL_PODS = 'status.phase!=Succeeded,status.phase!=Failed';

export interface ClusterWatchOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  /** Pause before a failed watch starts over (default 2 s). */
  restartDelayMs?: number;
}

/**
 * Pods (all namespaces, non-terminal), Nodes and policy/v1 PodDisruptionBudgets from list+watch,
 * kept whole for the snapshot builder. A failed watch keeps the last known objects and starts
 * over, like src/kube/live-objects.ts. Node events are passed on at once, so the controller can
 * tick as soon as an interruption notice lands on a node instead of at the next scan.
 */
export class ClusterWatch {
  private readonly pods: Feed<V1Pod>;
  private readonly nodes: Feed<V1Node>;
  private readonly pdbs: Feed<V1PodDisruptionBudget>;

  constructor(opts: ClusterWatchOptions) {
    const kc = opts.kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const policy = kc.makeApiClient(PolicyV1Api);
    const feed = <T extends KubernetesObject>(path: string, list: () => Promise<KubernetesListObject<T>>, fieldSelector?: string) =>
      new Feed<T>({ kc, path, list, fieldSelector, log: opts.log, restartDelayMs: opts.restartDelayMs ?? RESTART_DELAY_MS });
    this.pods = feed<V1Pod>('/api/v1/pods', () => core.listPodForAllNamespaces({ fieldSelector: NON_TERMINAL_PODS }), NON_TERMINAL_PODS);
    this.nodes = feed<V1Node>('/api/v1/nodes', () => core.listNode());
    this.pdbs = feed<V1PodDisruptionBudget>('/apis/policy/v1/poddisruptionbudgets', () => policy.listPodDisruptionBudgetForAllNamespaces());
  }

  /** Starts the three watches; resolves once each has listed successfully (rejects if stopped first). */
  async start(): Promise<void> {
    await Promise.all([this.pods.start(), this.nodes.start(), this.pdbs.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.pods.stop(), this.nodes.stop(), this.pdbs.stop()]);
  }

  get synced(): boolean {
    return this.pods.synced && this.nodes.synced && this.pdbs.synced;
  }

  /** The objects known now (shared with the cache: read, never modify). */
  objects(): ClusterObjects {
    return { pods: this.pods.list(), nodes: this.nodes.list(), pdbs: this.pdbs.list() };
  }

  /** Called on every node add, update and delete; returns the unsubscribe function. */
  onNodeChange(cb: (node: V1Node) => void): () => void {
    return this.nodes.onChange(cb);
  }
}

interface FeedOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  fieldSelector?: string;
  log: Logger;
  restartDelayMs: number;
}

/** One list+watch that restarts after errors and reports when its first list is in. */
class Feed<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private listedOnce = false;
  private stopped = false;
  private restart?: NodeJS.Timeout;
  private waiting?: { resolve: () => void; reject: (err: Error) => void };
  synced = false;

  constructor(private readonly opts: FeedOptions<T>) {
    const list = async () => {
      const result = await opts.list();
      this.listedOnce = true;
      return result;
    };
    // makeInformer() cannot pass a field selector; this is the ListWatch it would build, plus one.
    this.informer = new ListWatch<T>(opts.path, new Watch(opts.kc), list, false, undefined, opts.fieldSelector);
    // managedFields are often most of an object's size and nothing here reads them.
    const slim = (o: T) => {
      if (o.metadata) delete o.metadata.managedFields;
    };
    this.informer.on('add', slim);
    this.informer.on('update', slim);
    this.informer.on('error', (err) => this.failed(err));
  }

  start(): Promise<void> {
    this.stopped = false;
    const done = new Promise<void>((resolve, reject) => (this.waiting = { resolve, reject }));
    this.run();
    return done;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restart);
    this.waiting?.reject(new Error(`watch of ${this.opts.path} stopped before its first list`));
    this.waiting = undefined;
    await this.informer.stop();
  }

  list(): readonly T[] {
    return this.informer.list();
  }

  onChange(cb: (o: T) => void): () => void {
    this.informer.on('change', cb);
    return () => this.informer.off('change', cb);
  }

  /** start() returns after the list (or its failure, reported through 'error') and the watch request. */
  private run(): void {
    this.informer.start().then(
      () => {
        if (!this.listedOnce || this.stopped || this.synced) return;
        this.synced = true;
        this.waiting?.resolve();
        this.waiting = undefined;
      },
      (err: unknown) => this.failed(err),
    );
  }

  private failed(err: unknown): void {
    // stop() aborts the watch, which the informer reports as an error: never restart after it.
    if (this.stopped) return;
    this.opts.log.warn({ component: 'node-scaler-watch', path: this.opts.path, err: errorMessage(err) }, 'watch failed; restarting');
    clearTimeout(this.restart);
    this.restart = setTimeout(() => {
      if (!this.stopped) this.run();
    }, this.opts.restartDelayMs);
    this.restart.unref();
  }
}
