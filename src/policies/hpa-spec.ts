import { formatQuantity } from '../apiserver/index.js';

/**
 * The autoscaling/v2 HorizontalPodAutoscaler spec, as plain JSON, and the building blocks both
 * front-ends (REST API, AIInferenceAutoscalerPolicy) compile into. Pure: no I/O.
 *
 * Every field kube-apiserver would default is written out, so the spec read back from the
 * cluster equals the compiled one (the controller compares them to decide whether to update).
 */

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'ReplicaSet';

export interface CrossVersionObjectReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
}

export type MetricTarget =
  | { readonly type: 'Utilization'; readonly averageUtilization: number }
  | { readonly type: 'AverageValue'; readonly averageValue: string }
  | { readonly type: 'Value'; readonly value: string };

export type MetricSpec =
  | { readonly type: 'Resource'; readonly resource: { readonly name: 'cpu' | 'memory'; readonly target: MetricTarget } }
  | { readonly type: 'Pods'; readonly pods: { readonly metric: { readonly name: string }; readonly target: MetricTarget } }
  | {
      readonly type: 'Object';
      readonly object: {
        readonly describedObject: CrossVersionObjectReference;
        readonly metric: { readonly name: string };
        readonly target: MetricTarget;
      };
    };

export interface ScalingPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodSeconds: number;
}

export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

export interface ScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: SelectPolicy;
  readonly policies: readonly ScalingPolicy[];
}

export interface HpaSpec {
  readonly scaleTargetRef: CrossVersionObjectReference;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly metrics: readonly MetricSpec[];
  readonly behavior: { readonly scaleUp: ScalingRules; readonly scaleDown: ScalingRules };
}

/** Defaults both front-ends share: react at once upwards, wait 5 minutes before scaling in. */
export const DEFAULT_SCALE_UP_STABILIZATION_SECONDS = 0;
export const DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS = 300;
/** `max_scale_change` N becomes "at most N pods per minute". */
export const MAX_SCALE_CHANGE_PERIOD_SECONDS = 60;

/** Kubernetes' own default policies (pkg/apis/autoscaling/v2/defaults.go), written out. */
const KUBE_DEFAULT_SCALE_UP: readonly ScalingPolicy[] = [
  { type: 'Pods', value: 4, periodSeconds: 15 },
  { type: 'Percent', value: 100, periodSeconds: 15 },
];
const KUBE_DEFAULT_SCALE_DOWN: readonly ScalingPolicy[] = [{ type: 'Percent', value: 100, periodSeconds: 15 }];

/** The built-in metric names the front-ends compile to (DESIGN.md, "Metric catalog"). */
export const GPU_METRIC = 'nvidia_gpu_duty_cycle';
export const STORAGE_READ_METRIC = 'storage_read_bytes_per_second';
export const STORAGE_WRITE_METRIC = 'storage_write_bytes_per_second';
export const STORAGE_IOPS_METRIC = 'storage_iops';

export function workloadRef(kind: WorkloadKind, name: string): CrossVersionObjectReference {
  return { apiVersion: 'apps/v1', kind, name };
}

/** The custom metrics API's resource for an apps/v1 workload kind: `Deployment` → `deployments.apps`. */
export function workloadResource(kind: string): string {
  return `${kind.toLowerCase()}s.apps`;
}

export function resourceUtilization(name: 'cpu' | 'memory', percent: number): MetricSpec {
  return { type: 'Resource', resource: { name, target: { type: 'Utilization', averageUtilization: percent } } };
}

/** A per-pod metric of ours; the HPA averages it over the pods (Pods metrics are AverageValue only). */
export function podsAverage(metric: string, value: number): MetricSpec {
  return { type: 'Pods', pods: { metric: { name: metric }, target: { type: 'AverageValue', averageValue: formatQuantity(value) } } };
}

/** A metric of the workload object itself: `Value` compares it as is, `AverageValue` divides it by the replicas. */
export function objectMetric(target: CrossVersionObjectReference, metric: string, type: 'Value' | 'AverageValue', value: number): MetricSpec {
  const quantity = formatQuantity(value);
  const t: MetricTarget = type === 'Value' ? { type, value: quantity } : { type, averageValue: quantity };
  return { type: 'Object', object: { describedObject: target, metric: { name: metric }, target: t } };
}

export interface RulesInput {
  readonly stabilizationWindowSeconds?: number;
  readonly selectPolicy?: SelectPolicy;
  /** Replaces Kubernetes' default policies when given. */
  readonly policies?: readonly ScalingPolicy[];
}

export function behavior(up: RulesInput, down: RulesInput): HpaSpec['behavior'] {
  return {
    scaleUp: rules(up, DEFAULT_SCALE_UP_STABILIZATION_SECONDS, KUBE_DEFAULT_SCALE_UP),
    scaleDown: rules(down, DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS, KUBE_DEFAULT_SCALE_DOWN),
  };
}

function rules(input: RulesInput, window: number, policies: readonly ScalingPolicy[]): ScalingRules {
  return {
    stabilizationWindowSeconds: input.stabilizationWindowSeconds ?? window,
    selectPolicy: input.selectPolicy ?? 'Max',
    policies: input.policies && input.policies.length > 0 ? input.policies : policies,
  };
}

/** Labels every HPA the front-ends create carries. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'ai-metrics-adapter';
/** Which front-end owns an HPA: `rest-api` or `policy`. */
export const FRONT_END_LABEL = 'autoscaling.kubeai.io/front-end';
