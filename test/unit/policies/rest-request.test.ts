import { expect } from 'chai';
import { compileAutoscalerRequest, parseAutoscalerRequest, type AutoscalerRequest } from '../../../src/policies/index.js';
import { AUTOSCALER_EXAMPLES, INVALID_REQUESTS } from '../../helpers/autoscaler-examples.js';

function valid(raw: Record<string, unknown>): AutoscalerRequest {
  const r = parseAutoscalerRequest(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

function fieldsOf(raw: unknown): string[] {
  const r = parseAutoscalerRequest(raw);
  if (r.ok) throw new Error('expected a validation error');
  return r.errors.map((e) => e.field);
}

const BASE: Record<string, unknown> = { workload_name: 'api', workload_namespace: 'web', workload_type: 'Deployment', min_replicas: 1, max_replicas: 3, target_cpu_percent: 50 };

describe('REST autoscaler request → HPA spec (pure)', () => {
  for (const ex of AUTOSCALER_EXAMPLES) {
    it(`compiles the ${ex.title} example to its exact HPA spec`, () => {
      expect(compileAutoscalerRequest(valid(ex.request))).to.deep.equal(ex.hpa);
    });
  }

  it('turns fractional MB/s into whole bytes per second', () => {
    const hpa = compileAutoscalerRequest(valid({ ...BASE, target_cpu_percent: undefined, target_storage_read_throughput_mbps: 1.1 }));
    expect(hpa.metrics).to.deep.equal([
      { type: 'Pods', pods: { metric: { name: 'storage_read_bytes_per_second' }, target: { type: 'AverageValue', averageValue: '1100k' } } },
    ]);
  });

  it('keeps Kubernetes\' default policies when only the stabilization window is given', () => {
    const hpa = compileAutoscalerRequest(valid({ ...BASE, scale_up_policy: { stabilization_window_seconds: 60 } }));
    expect(hpa.behavior.scaleUp).to.deep.equal({
      stabilizationWindowSeconds: 60, selectPolicy: 'Max',
      policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
    });
  });

  describe('validation names the field', () => {
    for (const [what, raw, field] of INVALID_REQUESTS) {
      it(`${what} → ${field}`, () => {
        expect(fieldsOf(raw)).to.include(field);
      });
    }
  });
});
