import { ApiException, AppsV1Api, AutoscalingV2Api, CoreV1Api, type KubeConfig, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { HpaSpec } from './hpa-spec.js';

/**
 * The HorizontalPodAutoscalers the front-ends own, read and written as plain JSON with the
 * adapter's own credentials, plus the two reads their views need: a workload's pod selector
 * (scale subresource) and the HPA controller's rescale events.
 */

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
}

export interface HpaCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

export interface HpaMetricStatus {
  readonly type: string;
  readonly resource?: { readonly name: string; readonly current: { readonly averageUtilization?: number } };
}

export interface HpaStatus {
  readonly currentReplicas?: number;
  readonly desiredReplicas?: number;
  readonly lastScaleTime?: string;
  readonly currentMetrics?: readonly HpaMetricStatus[];
  readonly conditions?: readonly HpaCondition[];
}

export interface HpaObject {
  readonly metadata: ObjectMeta;
  readonly spec: HpaSpec;
  readonly status?: HpaStatus;
}

export interface NewHpa {
  readonly metadata: Omit<ObjectMeta, 'uid' | 'creationTimestamp'>;
  readonly spec: HpaSpec;
}

export interface RescaleCounts {
  readonly up: number;
  readonly down: number;
}

/** A kube-apiserver error with its HTTP code and the Status message. */
export class KubeError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

export class HpaClient {
  private readonly autoscaling: AutoscalingV2Api;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.autoscaling = kc.makeApiClient(AutoscalingV2Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** undefined when it does not exist. */
  async get(namespace: string, name: string): Promise<HpaObject | undefined> {
    try {
      return plain(await this.autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name }));
    } catch (err) {
      if (codeOf(err) === 404) return undefined;
      throw kubeError(err, `read HPA ${namespace}/${name}`);
    }
  }

  /** HPAs matching `labelSelector`, in `namespace` or in all namespaces. */
  async list(namespace: string | undefined, labelSelector?: string): Promise<HpaObject[]> {
    try {
      const list = namespace
        ? await this.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace, labelSelector })
        : await this.autoscaling.listHorizontalPodAutoscalerForAllNamespaces({ labelSelector });
      return list.items.map((i) => plain<HpaObject>(i));
    } catch (err) {
      throw kubeError(err, `list HPAs${namespace ? ` in ${namespace}` : ''}`);
    }
  }

  async create(hpa: NewHpa): Promise<HpaObject> {
    try {
      return plain(await this.autoscaling.createNamespacedHorizontalPodAutoscaler({ namespace: hpa.metadata.namespace, body: toBody(hpa) }));
    } catch (err) {
      throw kubeError(err, `create HPA ${hpa.metadata.namespace}/${hpa.metadata.name}`);
    }
  }

  /** PUT with the object's resourceVersion: a concurrent change fails with 409 rather than being overwritten. */
  async replace(hpa: NewHpa): Promise<HpaObject> {
    const { namespace, name } = hpa.metadata;
    try {
      return plain(await this.autoscaling.replaceNamespacedHorizontalPodAutoscaler({ namespace, name, body: toBody(hpa) }));
    } catch (err) {
      throw kubeError(err, `update HPA ${namespace}/${name}`);
    }
  }

  /** false when it was already gone. `uid` guards against deleting a newer HPA of the same name. */
  async delete(namespace: string, name: string, uid?: string): Promise<boolean> {
    try {
      await this.autoscaling.deleteNamespacedHorizontalPodAutoscaler({ namespace, name, body: uid ? { preconditions: { uid } } : {} });
      return true;
    } catch (err) {
      if (codeOf(err) === 404) return false;
      throw kubeError(err, `delete HPA ${namespace}/${name}`);
    }
  }

  /** The label selector of a workload's pods (its scale subresource); undefined when the workload does not exist. */
  async podSelector(namespace: string, kind: string, name: string): Promise<string | undefined> {
    const read = {
      Deployment: () => this.apps.readNamespacedDeploymentScale({ namespace, name }),
      StatefulSet: () => this.apps.readNamespacedStatefulSetScale({ namespace, name }),
      ReplicaSet: () => this.apps.readNamespacedReplicaSetScale({ namespace, name }),
    }[kind];
    if (!read) return undefined;
    try {
      return (await read()).status?.selector ?? undefined;
    } catch (err) {
      if (codeOf(err) === 404) return undefined;
      throw kubeError(err, `read the scale of ${kind} ${namespace}/${name}`);
    }
  }

  /**
   * Scale-ups and scale-downs per HPA uid, from the HPA controller's SuccessfulRescale events
   * (as long as kube-apiserver keeps events: 1 h by default).
   */
  async rescaleCounts(namespace: string | undefined): Promise<Map<string, RescaleCounts>> {
    const fieldSelector = 'involvedObject.kind=HorizontalPodAutoscaler,reason=SuccessfulRescale';
    let items;
    try {
      items = (namespace ? await this.core.listNamespacedEvent({ namespace, fieldSelector }) : await this.core.listEventForAllNamespaces({ fieldSelector })).items;
    } catch (err) {
      throw kubeError(err, 'list rescale events');
    }
    const out = new Map<string, RescaleCounts>();
    for (const e of items) {
      const uid = e.involvedObject.uid;
      const direction = rescaleDirection(e.message ?? '');
      if (!uid || !direction) continue;
      const prev = out.get(uid) ?? { up: 0, down: 0 };
      const n = e.count ?? 1;
      out.set(uid, direction === 'up' ? { ...prev, up: prev.up + n } : { ...prev, down: prev.down + n });
    }
    return out;
  }
}

/**
 * The direction of a rescale from the HPA controller's event text (`New size: 4; reason: cpu
 * resource utilization (percentage of request) above target`).
 */
export function rescaleDirection(message: string): 'up' | 'down' | undefined {
  if (/above target|below Spec\.MinReplicas/.test(message)) return 'up';
  if (/below target|above Spec\.MaxReplicas/.test(message)) return 'down';
  return undefined;
}

export function codeOf(err: unknown): number | undefined {
  if (err instanceof KubeError) return err.code;
  return err instanceof ApiException ? err.code : undefined;
}

/** An ApiException as a one-line KubeError with kube-apiserver's own message. */
function kubeError(err: unknown, what: string): Error {
  if (!(err instanceof ApiException)) return err instanceof Error ? err : new Error(String(err));
  let message: string;
  try {
    message = (JSON.parse(String(err.body)) as { message?: string }).message ?? '';
  } catch {
    message = String(err.body ?? '').slice(0, 200);
  }
  return new KubeError(err.code, `${what}: ${message || `HTTP ${err.code}`}`);
}

/** Our plain JSON in the shape client-node serializes (the same field names). */
function toBody(hpa: NewHpa): V2HorizontalPodAutoscaler {
  return { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', ...plain<object>(hpa) } as V2HorizontalPodAutoscaler;
}

/** client-node's model classes (Date fields, prototypes) as the JSON kube-apiserver sent. */
function plain<T>(v: unknown): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
