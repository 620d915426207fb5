/**
 * The REST autoscaler API's request examples (issue 7) and the exact autoscaling/v2 HPA spec
 * each one must become. Shared by the pure compiler tests and the e2e tests, which read the
 * HPA back from a real kube-apiserver.
 */

const KUBE_UP = [
  { type: 'Pods', value: 4, periodSeconds: 15 },
  { type: 'Percent', value: 100, periodSeconds: 15 },
];
const KUBE_DOWN = [{ type: 'Percent', value: 100, periodSeconds: 15 }];
const defaults = {
  scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: KUBE_UP },
  scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: KUBE_DOWN },
};
const pods = (name: string, averageValue: string) => ({ type: 'Pods', pods: { metric: { name }, target: { type: 'AverageValue', averageValue } } });
const resource = (name: string, averageUtilization: number) => ({ type: 'Resource', resource: { name, target: { type: 'Utilization', averageUtilization } } });

export interface AutoscalerExample {
  readonly title: string;
  readonly request: Record<string, unknown>;
  readonly hpa: Record<string, unknown>;
}

export const AUTOSCALER_EXAMPLES: readonly AutoscalerExample[] = [
  {
    title: 'CPU-only web API',
    request: { workload_name: 'api', workload_namespace: 'web', workload_type: 'Deployment', min_replicas: 2, max_replicas: 10, target_cpu_percent: 70 },
    hpa: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [resource('cpu', 70)],
      behavior: defaults,
    },
  },
  {
    title: 'multi-metric LLM server with scale policies',
    request: {
      workload_name: 'llm-server', workload_namespace: 'ml', workload_type: 'Deployment', min_replicas: 2, max_replicas: 20,
      target_cpu_percent: 75, target_memory_percent: 80, target_gpu_percent: 70,
      scale_up_policy: { stabilization_window_seconds: 30, max_scale_change: 4 },
      scale_down_policy: { stabilization_window_seconds: 600, max_scale_change: 2 },
    },
    hpa: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'llm-server' },
      minReplicas: 2,
      maxReplicas: 20,
      metrics: [resource('cpu', 75), resource('memory', 80), pods('nvidia_gpu_duty_cycle', '70')],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 30, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }] },
        scaleDown: { stabilizationWindowSeconds: 600, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
      },
    },
  },
  {
    title: 'GPU-only StatefulSet',
    request: { workload_name: 'triton', workload_namespace: 'ml', workload_type: 'StatefulSet', min_replicas: 1, max_replicas: 8, target_gpu_percent: 80 },
    hpa: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'triton' },
      minReplicas: 1,
      maxReplicas: 8,
      metrics: [pods('nvidia_gpu_duty_cycle', '80')],
      behavior: defaults,
    },
  },
  {
    title: 'storage-aware training (hpa-examples/training-storage-aware.yaml)',
    request: {
      workload_name: 'trainer', workload_namespace: 'ai-models', workload_type: 'StatefulSet', min_replicas: 2, max_replicas: 16,
      target_gpu_percent: 80, target_storage_read_throughput_mbps: 600, target_storage_write_throughput_mbps: 150,
      scale_down_policy: { stabilization_window_seconds: 600 },
    },
    hpa: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'trainer' },
      minReplicas: 2,
      maxReplicas: 16,
      metrics: [pods('nvidia_gpu_duty_cycle', '80'), pods('storage_read_bytes_per_second', '600M'), pods('storage_write_bytes_per_second', '150M')],
      behavior: { scaleUp: defaults.scaleUp, scaleDown: { ...defaults.scaleDown, stabilizationWindowSeconds: 600 } },
    },
  },
  {
    title: 'storage-only ETL (hpa-examples/etl-storage-only.yaml)',
    request: {
      workload_name: 'etl', workload_namespace: 'data', workload_type: 'Deployment', min_replicas: 1, max_replicas: 30,
      target_storage_read_throughput_mbps: 800, target_storage_write_throughput_mbps: 300, target_storage_iops: 5000,
    },
    hpa: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'etl' },
      minReplicas: 1,
      maxReplicas: 30,
      metrics: [pods('storage_read_bytes_per_second', '800M'), pods('storage_write_bytes_per_second', '300M'), pods('storage_iops', '5k')],
      behavior: defaults,
    },
  },
];

const VALID = { workload_name: 'api', workload_namespace: 'web', workload_type: 'Deployment', min_replicas: 1, max_replicas: 3, target_cpu_percent: 50 };

/** One invalid request per field, and the field the 400 must name. */
export const INVALID_REQUESTS: readonly (readonly [what: string, body: unknown, field: string])[] = [
  ['missing workload_name', { ...VALID, workload_name: undefined }, 'workload_name'],
  ['workload_name not a Kubernetes name', { ...VALID, workload_name: 'My_App' }, 'workload_name'],
  ['missing workload_namespace', { ...VALID, workload_namespace: undefined }, 'workload_namespace'],
  ['workload_namespace with a dot', { ...VALID, workload_namespace: 'a.b' }, 'workload_namespace'],
  ['workload_type not a workload', { ...VALID, workload_type: 'DaemonSet' }, 'workload_type'],
  ['min_replicas 0', { ...VALID, min_replicas: 0 }, 'min_replicas'],
  ['min_replicas not an integer', { ...VALID, min_replicas: 1.5 }, 'min_replicas'],
  ['max_replicas below min_replicas', { ...VALID, min_replicas: 4, max_replicas: 3 }, 'max_replicas'],
  ['max_replicas a string', { ...VALID, max_replicas: '3' }, 'max_replicas'],
  ['target_cpu_percent 0', { ...VALID, target_cpu_percent: 0 }, 'target_cpu_percent'],
  ['target_memory_percent fractional', { ...VALID, target_memory_percent: 50.5 }, 'target_memory_percent'],
  ['target_gpu_percent above 100', { ...VALID, target_gpu_percent: 101 }, 'target_gpu_percent'],
  ['target_storage_read_throughput_mbps negative', { ...VALID, target_storage_read_throughput_mbps: -1 }, 'target_storage_read_throughput_mbps'],
  ['target_storage_write_throughput_mbps 0', { ...VALID, target_storage_write_throughput_mbps: 0 }, 'target_storage_write_throughput_mbps'],
  ['target_storage_iops a string', { ...VALID, target_storage_iops: 'many' }, 'target_storage_iops'],
  ['no target at all', { ...VALID, target_cpu_percent: undefined }, 'targets'],
  ['scale_up_policy window above 3600', { ...VALID, scale_up_policy: { stabilization_window_seconds: 3601 } }, 'scale_up_policy.stabilization_window_seconds'],
  ['scale_down_policy max_scale_change 0', { ...VALID, scale_down_policy: { max_scale_change: 0 } }, 'scale_down_policy.max_scale_change'],
  ['unknown field in a policy', { ...VALID, scale_down_policy: { cooldown: 5 } }, 'scale_down_policy.cooldown'],
  ['unknown top-level field', { ...VALID, target_gpu_utilization: 50 }, 'target_gpu_utilization'],
  ['a body that is not an object', [1, 2], '(request body)'],
].map(([what, body, field]) => [what as string, JSON.parse(JSON.stringify(body)) as unknown, field as string] as const);
