import { expect } from 'chai';
import { compilePolicy, parsePolicySpec, type PolicySpec } from '../../../src/policies/index.js';

function valid(raw: unknown): PolicySpec {
  const r = parsePolicySpec(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

function fieldsOf(raw: unknown): string[] {
  const r = parsePolicySpec(raw);
  if (r.ok) throw new Error('expected a validation error');
  return r.errors.map((e) => e.field);
}

const LATENCY_Q = 'histogram_quantile({{quantile}}, sum by (le) (rate(http_request_duration_seconds_bucket{service="llm"}[2m])))';
const QUEUE_Q = 'sum(vllm:num_requests_waiting{namespace="ml"})';
const TARGET = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'llm' };
const KUBE_UP = [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }];
const KUBE_DOWN = [{ type: 'Percent', value: 100, periodSeconds: 15 }];

describe('AIInferenceAutoscalerPolicy spec → HPA spec (pure)', () => {
  it('compiles latency (p99 and p95), built-in GPU and queue depth into one HPA', () => {
    const spec = valid({
      targetRef: { kind: 'Deployment', name: 'llm' },
      minReplicas: 2,
      maxReplicas: 12,
      cooldownPeriod: 120,
      metrics: {
        latency: { enabled: true, targetP99Ms: 500, targetP95Ms: 250, prometheusQuery: LATENCY_Q },
        gpuUtilization: { enabled: true, targetPercentage: 75 },
        requestQueueDepth: { enabled: true, targetDepth: 10, prometheusQuery: QUEUE_Q },
      },
      scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 2, periodSeconds: 30 }] },
    });
    const { hpa, queries } = compilePolicy('ml', 'llm-policy', spec);
    expect(hpa).to.deep.equal({
      scaleTargetRef: TARGET,
      minReplicas: 2,
      maxReplicas: 12,
      metrics: [
        { type: 'Object', object: { describedObject: TARGET, metric: { name: 'aiap:ml:llm-policy:latency_p99_seconds' }, target: { type: 'Value', value: '500m' } } },
        { type: 'Object', object: { describedObject: TARGET, metric: { name: 'aiap:ml:llm-policy:latency_p95_seconds' }, target: { type: 'Value', value: '250m' } } },
        { type: 'Pods', pods: { metric: { name: 'nvidia_gpu_duty_cycle' }, target: { type: 'AverageValue', averageValue: '75' } } },
        { type: 'Object', object: { describedObject: TARGET, metric: { name: 'aiap:ml:llm-policy:request_queue_depth' }, target: { type: 'AverageValue', averageValue: '10' } } },
      ],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 30 }] },
        scaleDown: { stabilizationWindowSeconds: 120, selectPolicy: 'Max', policies: KUBE_DOWN },
      },
    });
    expect(queries).to.deep.equal([
      { metric: 'aiap:ml:llm-policy:latency_p99_seconds', query: LATENCY_Q.replace('{{quantile}}', '0.99'), resource: 'deployments.apps', namespace: 'ml', name: 'llm' },
      { metric: 'aiap:ml:llm-policy:latency_p95_seconds', query: LATENCY_Q.replace('{{quantile}}', '0.95'), resource: 'deployments.apps', namespace: 'ml', name: 'llm' },
      { metric: 'aiap:ml:llm-policy:request_queue_depth', query: QUEUE_Q, resource: 'deployments.apps', namespace: 'ml', name: 'llm' },
    ]);
  });

  it('GPU with a query becomes an Object metric of the StatefulSet; defaults 0 s up / 300 s down', () => {
    const spec = valid({
      targetRef: { kind: 'StatefulSet', name: 'triton' },
      maxReplicas: 4,
      metrics: { gpuUtilization: { targetPercentage: 80, prometheusQuery: 'avg(DCGM_FI_DEV_GPU_UTIL{pod=~"triton-.*"})' } },
    });
    const { hpa, queries } = compilePolicy('inference', 'triton', spec);
    const target = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'triton' };
    expect(hpa.minReplicas).to.equal(1);
    expect(hpa.metrics).to.deep.equal([
      { type: 'Object', object: { describedObject: target, metric: { name: 'aiap:inference:triton:gpu_utilization_percent' }, target: { type: 'Value', value: '80' } } },
    ]);
    expect(hpa.behavior).to.deep.equal({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: KUBE_UP },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: KUBE_DOWN },
    });
    expect(queries.map((q) => q.resource)).to.deep.equal(['statefulsets.apps']);
  });

  it('scaleDown.stabilizationWindowSeconds wins over cooldownPeriod; disabled metrics are left out', () => {
    const spec = valid({
      targetRef: { kind: 'Deployment', name: 'llm' },
      maxReplicas: 3,
      cooldownPeriod: 60,
      metrics: { gpuUtilization: { targetPercentage: 50 }, latency: { enabled: false } },
      scaleDown: { stabilizationWindowSeconds: 900, selectPolicy: 'Disabled' },
    });
    const { hpa, queries } = compilePolicy('ml', 'p', spec);
    expect(hpa.behavior.scaleDown).to.deep.equal({ stabilizationWindowSeconds: 900, selectPolicy: 'Disabled', policies: KUBE_DOWN });
    expect(hpa.metrics).to.have.length(1);
    expect(queries).to.deep.equal([]);
  });

  describe('validation names the field', () => {
    const base = { targetRef: { kind: 'Deployment', name: 'llm' }, minReplicas: 1, maxReplicas: 3, metrics: { gpuUtilization: { targetPercentage: 50 } } };
    const cases: [string, unknown, string][] = [
      ['targetRef kind', { ...base, targetRef: { kind: 'DaemonSet', name: 'x' } }, 'spec.targetRef.kind'],
      ['maxReplicas below minReplicas', { ...base, minReplicas: 5 }, 'spec.maxReplicas'],
      ['no metric enabled', { ...base, metrics: {} }, 'spec.metrics'],
      ['latency without a target', { ...base, metrics: { latency: { prometheusQuery: 'x' } } }, 'spec.metrics.latency'],
      ['latency without a query', { ...base, metrics: { latency: { targetP99Ms: 100 } } }, 'spec.metrics.latency.prometheusQuery'],
      ['both latency targets without {{quantile}}', { ...base, metrics: { latency: { targetP99Ms: 100, targetP95Ms: 50, prometheusQuery: 'x' } } }, 'spec.metrics.latency.prometheusQuery'],
      ['gpu without a target', { ...base, metrics: { gpuUtilization: {} } }, 'spec.metrics.gpuUtilization.targetPercentage'],
      ['gpu target above 100', { ...base, metrics: { gpuUtilization: { targetPercentage: 120 } } }, 'spec.metrics.gpuUtilization.targetPercentage'],
      ['queue without a query', { ...base, metrics: { requestQueueDepth: { targetDepth: 5 } } }, 'spec.metrics.requestQueueDepth.prometheusQuery'],
      ['queue without a target', { ...base, metrics: { requestQueueDepth: { prometheusQuery: 'x' } } }, 'spec.metrics.requestQueueDepth.targetDepth'],
      ['scaleUp policy type', { ...base, scaleUp: { policies: [{ type: 'Nodes', value: 1, periodSeconds: 1 }] } }, 'spec.scaleUp.policies.0.type'],
    ];
    for (const [what, raw, field] of cases) {
      it(`${what} → ${field}`, () => {
        expect(fieldsOf(raw)).to.include(field);
      });
    }
  });
});
