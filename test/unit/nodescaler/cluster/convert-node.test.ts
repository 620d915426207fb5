import { expect } from 'chai';
import { toNodeInfo } from '../../../../src/nodescaler/cluster/convert-node.js';
import { iso, node, T0 } from './objects.js';

const ctx = { pool: 'spot-a', gpuResource: 'nvidia.com/gpu', gpuAllocated: 3 };

describe('node-scaler cluster: toNodeInfo', () => {
  it('reads the basic facts', () => {
    const info = toNodeInfo(node('n1', { gpus: '8', labels: { 'karpenter.sh/capacity-type': 'spot', 'nvidia.com/gpu.present': 'true' } }), { ...ctx, dcgm: { util: 0.4, ageSeconds: 3 } });
    expect(info).to.deep.equal({
      name: 'n1', pool: 'spot-a', capacityType: 'spot', createdAt: T0 - 3_600_000, ready: true, unschedulable: false,
      acceleratorLabel: true, gpuAllocatable: 8, gpuAllocated: 3, dcgm: { util: 0.4, ageSeconds: 3 }, taints: [], annotations: {},
    });
  });

  it('leaves pool, capacity type, DCGM and interruption out when unknown', () => {
    const info = toNodeInfo(node('n1'), { gpuResource: 'nvidia.com/gpu', gpuAllocated: 0 });
    expect(info).to.not.have.any.keys('pool', 'capacityType', 'dcgm', 'interruption');
    expect(info.gpuAllocatable).to.equal(0);
    expect(info.acceleratorLabel).to.equal(false);
  });

  it('reads allocatable of the pool resource (MIG) and treats a missing one as 0', () => {
    const n = node('n1', { gpus: '8' }, (x) => { x.status!.allocatable!['nvidia.com/mig-1g.10gb'] = '56'; });
    expect(toNodeInfo(n, { ...ctx, gpuResource: 'nvidia.com/mig-1g.10gb' }).gpuAllocatable).to.equal(56);
    expect(toNodeInfo(n, { ...ctx, gpuResource: 'nvidia.com/mig-3g.40gb' }).gpuAllocatable).to.equal(0);
  });

  it('knows GPU nodes by their registration labels before the device plugin is up', () => {
    const cases: Record<string, string>[] = [{ 'cloud.google.com/gke-accelerator': 'nvidia-h100-80gb' }, { 'k8s.amazonaws.com/accelerator': 'nvidia-tesla-a100' },
      { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' }, { 'kubernetes.azure.com/accelerator': 'nvidia' }, { 'karpenter.k8s.aws/instance-gpu-count': '8' }];
    for (const labels of cases) {
      expect(toNodeInfo(node('n', { labels }), ctx).acceleratorLabel, JSON.stringify(labels)).to.equal(true);
    }
    expect(toNodeInfo(node('n', { labels: { 'nvidia.com/gpu.present': 'false', 'karpenter.k8s.aws/instance-gpu-count': '0' } }), ctx).acceleratorLabel).to.equal(false);
  });

  it('reads Ready, cordon and taints', () => {
    const n = node('n1', { ready: false }, (x) => {
      x.spec!.unschedulable = true;
      x.spec!.taints = [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }, { key: 'x', effect: 'NoExecute', timeAdded: new Date(T0) }];
    });
    const info = toNodeInfo(n, ctx);
    expect(info.ready).to.equal(false);
    expect(info.unschedulable).to.equal(true);
    expect(info.taints).to.deep.equal([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }, { key: 'x', effect: 'NoExecute' }]);
  });

  it('detects an interruption from a termination-handler taint, with the provider from providerID', () => {
    const n = node('n1', {}, (x) => {
      x.spec!.providerID = 'aws:///us-east-1a/i-0abc';
      x.spec!.taints = [{ key: 'aws-node-termination-handler/rebalance-recommendation', effect: 'NoSchedule' }, { key: 'aws-node-termination-handler/spot-itn', value: 'x', effect: 'NoSchedule' }];
    });
    expect(toNodeInfo(n, ctx).interruption).to.deep.equal({ kind: 'terminate', source: 'aws-node-termination-handler/spot-itn', provider: 'aws' });
  });

  it('detects an interruption annotation with its deadline', () => {
    const deadline = T0 + 120_000;
    const n = node('n1', {}, (x) => { x.metadata!.annotations = { 'node-scaler.io/interruption-deadline': iso(deadline) }; });
    const info = toNodeInfo(n, ctx);
    expect(info.interruption).to.deep.equal({ kind: 'terminate', deadline, source: 'node-scaler.io/interruption-deadline', provider: 'other' });
    expect(info.annotations).to.have.property('node-scaler.io/interruption-deadline');
    const warned = node('n2', {}, (x) => { x.metadata!.annotations = { 'gpu-autoscaler.io/spot-interruption-warning': 'true' }; });
    expect(toNodeInfo(warned, ctx).interruption).to.deep.equal({ kind: 'terminate', source: 'gpu-autoscaler.io/spot-interruption-warning', provider: 'other' });
  });
});
