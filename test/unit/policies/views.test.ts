import { expect } from 'chai';
import { buildPolicyStatus } from '../../../src/policies/policy-status.js';
import { rescaleDirection } from '../../../src/policies/hpa-client.js';
import { compileAutoscalerRequest, parseAutoscalerRequest } from '../../../src/policies/index.js';
import { aggregateViews, autoscalerView, parseAutoscalingId, requestOf } from '../../../src/policies/rest-view.js';
import type { HpaObject } from '../../../src/policies/hpa-client.js';
import { AUTOSCALER_EXAMPLES } from '../../helpers/autoscaler-examples.js';

function hpaFor(request: Record<string, unknown>, status?: HpaObject['status']): HpaObject {
  const r = parseAutoscalerRequest(request);
  if (!r.ok) throw new Error('invalid example');
  const metadata = { name: r.value.workload_name, namespace: r.value.workload_namespace, uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' };
  return { metadata, spec: compileAutoscalerRequest(r.value), ...(status ? { status } : {}) };
}

describe('policy front-end views (pure)', () => {
  it('reads every example request back from its HPA (defaults written out)', () => {
    for (const ex of AUTOSCALER_EXAMPLES) {
      const back = requestOf(hpaFor(ex.request));
      const { scale_up_policy: up, scale_down_policy: down, ...rest } = back;
      const { scale_up_policy: reqUp, scale_down_policy: reqDown, ...reqRest } = ex.request;
      expect(rest, ex.title).to.deep.equal(reqRest);
      expect(up).to.deep.equal({ stabilization_window_seconds: 0, ...(reqUp as object | undefined) });
      expect(down).to.deep.equal({ stabilization_window_seconds: 300, ...(reqDown as object | undefined) });
    }
  });

  it('ids are <namespace>.<name>; anything else is no id', () => {
    expect(parseAutoscalingId('ml.llm.v2')).to.deep.equal({ namespace: 'ml', name: 'llm.v2' });
    for (const bad of ['ml', '.llm', 'ml.']) expect(parseAutoscalingId(bad), bad).to.equal(undefined);
  });

  it('status is pending until the HPA controller reports, then active or degraded', () => {
    const ex = AUTOSCALER_EXAMPLES[1]!.request;
    const view = (conditions: { type: string; status: string }[]) => autoscalerView(hpaFor(ex, { conditions }), [], undefined).status;
    expect(view([])).to.equal('pending');
    expect(view([{ type: 'AbleToScale', status: 'True' }, { type: 'ScalingActive', status: 'True' }])).to.equal('active');
    expect(view([{ type: 'AbleToScale', status: 'True' }, { type: 'ScalingActive', status: 'False' }])).to.equal('degraded');
  });

  it('current metrics are shown in the request\'s units, null with the reason when missing', () => {
    const v = autoscalerView(hpaFor(AUTOSCALER_EXAMPLES[3]!.request), [
      { metric: 'nvidia_gpu_duty_cycle', type: 'Pods', value: 71.25 },
      { metric: 'storage_read_bytes_per_second', type: 'Pods', value: 512_345_678 },
      { metric: 'storage_write_bytes_per_second', type: 'Pods', error: 'no fresh samples' },
    ], { up: 3, down: 1 });
    expect(v.details.current_metrics).to.deep.equal({ gpu_percent: 71.25, storage_read_throughput_mbps: 512.346, storage_write_throughput_mbps: null });
    expect(v.details.metric_errors).to.deep.equal({ storage_write_throughput_mbps: 'no fresh samples' });
    expect(v.details).to.include({ scale_up_count: 3, scale_down_count: 1, hpa_name: 'trainer', created_at: '2026-01-01T00:00:00Z' });
    const totals = aggregateViews([v, autoscalerView(hpaFor(AUTOSCALER_EXAMPLES[2]!.request), [{ metric: 'nvidia_gpu_duty_cycle', type: 'Pods', value: 50 }], undefined)]);
    expect(totals).to.deep.include({ total_autoscalers: 2, total_scale_ups: 3, total_scale_downs: 1, average_metrics: { gpu_percent: 60.625, storage_read_throughput_mbps: 512.346 } });
  });

  it('classifies the HPA controller\'s rescale events', () => {
    expect(rescaleDirection('New size: 4; reason: cpu resource utilization (percentage of request) above target')).to.equal('up');
    expect(rescaleDirection('New size: 2; reason: Current number of replicas below Spec.MinReplicas')).to.equal('up');
    expect(rescaleDirection('New size: 1; reason: All metrics below target')).to.equal('down');
    expect(rescaleDirection('New size: 10; reason: Current number of replicas above Spec.MaxReplicas')).to.equal('down');
    expect(rescaleDirection('something else')).to.equal(undefined);
  });

  it('policy conditions keep their transition time while their status holds', () => {
    const t1 = new Date('2026-01-01T00:00:00Z');
    const t2 = new Date('2026-01-01T00:05:00Z');
    const first = buildPolicyStatus({ kind: 'invalid', message: 'spec.maxReplicas: too small' }, 1, undefined, t1);
    expect(first).to.deep.equal({
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'spec.maxReplicas: too small', lastTransitionTime: t1.toISOString() }],
    });
    const same = buildPolicyStatus({ kind: 'conflict', message: 'taken' }, 2, first, t2);
    expect(same.conditions[0]).to.include({ reason: 'HPAConflict', lastTransitionTime: t1.toISOString() });
    const hpa = hpaFor(AUTOSCALER_EXAMPLES[2]!.request, { currentReplicas: 2, desiredReplicas: 3, lastScaleTime: '2026-01-01T00:04:00Z' });
    const ok = buildPolicyStatus({ kind: 'reconciled', hpa, readings: [{ metric: 'nvidia_gpu_duty_cycle', type: 'Pods', value: 0.25 }], metrics: { ok: true, message: 'none' } }, 2, same, t2);
    expect(ok).to.deep.include({ hpaName: 'triton', currentReplicas: 2, desiredReplicas: 3, lastScaleTime: '2026-01-01T00:04:00Z', currentMetrics: [{ name: 'nvidia_gpu_duty_cycle', type: 'Pods', value: '250m' }] });
    expect(ok.conditions.map((c) => [c.type, c.status, c.reason])).to.deep.equal([
      ['Ready', 'True', 'HPAReconciled'], ['MetricsAvailable', 'True', 'MetricsServed'], ['ScalingActive', 'Unknown', 'HPAPending'],
    ]);
    expect(ok.conditions[0]?.lastTransitionTime).to.equal(t2.toISOString());
  });
});
