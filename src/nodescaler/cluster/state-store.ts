import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { z } from 'zod';
import type { ScalerState } from '../types.js';
import type { Logger } from '../../util/log.js';
import { httpCode, kubeError } from './kube-errors.js';

const KEY = 'state.json';

/**
 * Only the outline is checked: the state is written by this program, and a state from another
 * version that does not fit is dropped (a fresh start) rather than trusted.
 */
const stateSchema = z.looseObject({
  pools: z.record(z.string(), z.looseObject({ availability: z.looseObject({ state: z.enum(['available', 'backoff', 'probing']) }), requests: z.array(z.unknown()) })),
  nodes: z.record(z.string(), z.looseObject({})),
  headroomHighSince: z.record(z.string(), z.number()),
  spotShareSteps: z.number(),
});

/**
 * The controller's memory between ticks (plan.state: pool backoffs, requests in flight, unneeded
 * timers, drains) kept in a ConfigMap, so a new leader after a failover or a rollout resumes
 * where the old one stopped instead of re-trying a pool that just failed. Writes are
 * resourceVersion-guarded and skipped when nothing changed.
 */
export class ConfigMapStateStore {
  private readonly core: CoreV1Api;
  private lastSaved: string | undefined;
  private resourceVersion: string | undefined;

  constructor(
    kc: KubeConfig,
    readonly namespace: string,
    readonly name: string,
    private readonly log: Logger,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** The saved state, or undefined when there is none or it cannot be used. */
  async load(): Promise<ScalerState | undefined> {
    const cm = await this.read();
    this.resourceVersion = cm?.metadata?.resourceVersion;
    const text = cm?.data?.[KEY];
    if (text === undefined) return undefined;
    const parsed = stateSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      this.log.warn({ component: 'node-scaler', configMap: `${this.namespace}/${this.name}`, issue: parsed.error.issues[0]?.message }, 'saved state is not usable; starting from empty memory');
      return undefined;
    }
    this.lastSaved = text;
    return parsed.data as unknown as ScalerState;
  }

  async save(state: ScalerState): Promise<void> {
    const text = JSON.stringify(state);
    if (text === this.lastSaved) return;
    const body: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: this.name, namespace: this.namespace, resourceVersion: this.resourceVersion, labels: { 'app.kubernetes.io/name': 'ai-metrics-adapter-node-scaler' } },
      data: { [KEY]: text },
    };
    try {
      const written = this.resourceVersion === undefined
        ? await this.core.createNamespacedConfigMap({ namespace: this.namespace, body })
        : await this.core.replaceNamespacedConfigMap({ namespace: this.namespace, name: this.name, body });
      this.resourceVersion = written.metadata?.resourceVersion;
      this.lastSaved = text;
    } catch (err) {
      // Someone else wrote it (a previous leader's last write): re-read the version; the next tick writes again.
      if (httpCode(err) === 409) this.resourceVersion = (await this.read())?.metadata?.resourceVersion;
      throw kubeError(err, `save state to ConfigMap ${this.namespace}/${this.name}`);
    }
  }

  private async read(): Promise<V1ConfigMap | undefined> {
    try {
      return await this.core.readNamespacedConfigMap({ namespace: this.namespace, name: this.name });
    } catch (err) {
      if (httpCode(err) === 404) return undefined;
      throw kubeError(err, `read state ConfigMap ${this.namespace}/${this.name}`);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
