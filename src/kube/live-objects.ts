import { CoreV1Api, makeInformer, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { ObjectLister } from '../provider/index.js';
import type { Labels, Selector } from '../util/labels.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';

/** Only what selection needs is kept per object, not the whole object. */
type ByName = Map<string, Labels>;

const RESTART_DELAY_MS = 2_000;

/**
 * Live pods and nodes from list+watch. Pod metrics are intersected with these names, and
 * `labelSelector` is evaluated on these labels, so a deleted pod never appears in a response.
 */
export class LiveObjects implements ObjectLister {
  private readonly pods = new Map<string, ByName>();
  private readonly nodes: ByName = new Map();
  private readonly stops: (() => Promise<void>)[] = [];
  private syncedCount = 0;
  /** Bumped on every change, so an answer derived from these objects can be cached until the next one. */
  generation = 0;
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly log: Logger,
  ) {}

  /** Starts both watches; resolves when both initial lists arrived. */
  async start(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    await Promise.all([
      this.watch('/api/v1/pods', () => core.listPodForAllNamespaces(), (o) => this.podMap(o.metadata?.namespace ?? '')),
      this.watch('/api/v1/nodes', () => core.listNode(), () => this.nodes),
    ]);
  }

  get synced(): boolean {
    return this.syncedCount === 2;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.stops.map((s) => s()));
  }

  tracks(resource: string): boolean {
    return resource === 'pods' || resource === 'nodes';
  }

  list(resource: string, namespace: string | undefined, selector: Selector): string[] {
    const objects = this.byName(resource, namespace);
    const out: string[] = [];
    for (const [name, labels] of objects ?? []) if (selector.matches(labels)) out.push(name);
    return out;
  }

  exists(resource: string, namespace: string | undefined, name: string): boolean {
    return this.byName(resource, namespace)?.has(name) ?? false;
  }

  private byName(resource: string, namespace: string | undefined): ByName | undefined {
    if (resource === 'nodes') return this.nodes;
    if (resource === 'pods') return this.pods.get(namespace ?? '');
    return undefined;
  }

  private podMap(namespace: string): ByName {
    let m = this.pods.get(namespace);
    if (!m) this.pods.set(namespace, (m = new Map()));
    return m;
  }

  private async watch<T extends KubernetesObject>(
    path: string,
    list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>,
    target: (o: T) => ByName,
  ): Promise<void> {
    const informer = makeInformer<T>(this.kc, path, list as never);
    const put = (o: T) => {
      if (o.metadata?.name) target(o).set(o.metadata.name, o.metadata.labels ?? {});
      this.generation++;
    };
    informer.on('add', put);
    informer.on('update', put);
    informer.on('delete', (o) => {
      if (o.metadata?.name) target(o).delete(o.metadata.name);
      this.generation++;
    });
    informer.on('error', (err) => {
      // stop() aborts the watch, which the informer reports as an error: never restart after it.
      if (this.stopped) return;
      // The informer stops on errors; keep the last known set and start over shortly.
      this.log.warn({ component: 'kube', path, err: errorMessage(err) }, 'watch failed; restarting');
      setTimeout(() => {
        if (!this.stopped) void informer.start().catch(() => undefined);
      }, RESTART_DELAY_MS).unref();
    });
    this.stops.push(() => informer.stop());
    await informer.start();
    this.syncedCount += 1;
  }
}
