import { parseSelector } from '../apiserver/index.js';
import type { ObjectLister } from '../provider/index.js';
import type { MetricStore } from '../store/index.js';
import { errorMessage } from '../util/errors.js';
import { readCurrentMetrics, type MetricReading } from './current-metrics.js';
import type { HpaClient, HpaStatus } from './hpa-client.js';
import type { HpaSpec } from './hpa-spec.js';

export interface ReadingDeps {
  readonly hpas: HpaClient;
  /** Live pods (cluster mode's pod watch). */
  readonly objects: ObjectLister;
  readonly store: MetricStore;
}

/** Current values of an HPA's metrics; the workload's pods come from its scale subresource's selector and the pod watch. */
export async function readHpaMetrics(deps: ReadingDeps, namespace: string, spec: HpaSpec, hpaStatus?: HpaStatus): Promise<MetricReading[]> {
  const base = { store: deps.store, namespace, ...(hpaStatus ? { hpaStatus } : {}) };
  if (!spec.metrics.some((m) => m.type === 'Pods')) return readCurrentMetrics(spec, base);
  const { kind, name } = spec.scaleTargetRef;
  try {
    const selector = await deps.hpas.podSelector(namespace, kind, name);
    if (selector === undefined) return readCurrentMetrics(spec, { ...base, podsError: `${kind} ${namespace}/${name} does not exist` });
    return readCurrentMetrics(spec, { ...base, pods: deps.objects.list('pods', namespace, parseSelector(selector)) });
  } catch (err) {
    return readCurrentMetrics(spec, { ...base, podsError: `cannot list the pods of ${kind} ${namespace}/${name}: ${errorMessage(err)}` });
  }
}
