import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { DCGM_FAMILIES, dcgmPoints, type DcgmLabelNames } from '../../src/sources/dcgm-points.js';
import { parsePromText } from '../../src/sources/prom-text.js';
import type { MetricPoint } from '../../src/store/types.js';

const NOW = 1_754_312_405_000;
const DEFAULT_NAMES: DcgmLabelNames = { pod: 'pod', namespace: 'namespace', container: 'container', node: ['Hostname', 'hostname'] };

function points(body: string, names: DcgmLabelNames = DEFAULT_NAMES): MetricPoint[] {
  return dcgmPoints(parsePromText(body, { names: DCGM_FAMILIES }), names, NOW);
}

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/dcgm/${name}`, import.meta.url), 'utf8');
}

/** `metric kind/ns/name gpu → value`, rounded, for compact assertions. */
function summary(ps: readonly MetricPoint[]): string[] {
  return ps.map((p) => {
    const t = p.target.kind === 'object' ? `${p.target.resource}/${p.target.namespace ?? ''}/${p.target.name}` : 'external';
    const slice = p.labels.GPU_I_ID ? `/${p.labels.GPU_I_ID}` : '';
    return `${p.metric} ${t} gpu${p.labels.gpu ?? '?'}${slice} ${Math.round(p.value * 100) / 100}`;
  });
}

describe('dcgmPoints', () => {
  it('maps two H100 pods: GR_ENGINE_ACTIVE×100 wins over GPU_UTIL, memory is used/(used+free)', () => {
    expect(summary(points(fixture('h100-two-pods.txt')))).to.have.members([
      'nvidia_gpu_duty_cycle pods/speech/stt-worker-7d9f8c6b5-x2kqp gpu0 84.62',
      'gpu_memory_utilization pods/speech/stt-worker-7d9f8c6b5-x2kqp gpu0 75.58',
      'nvidia_gpu_duty_cycle pods/speech/tts-worker-5c6b7f9d8-qm4lz gpu1 20.19',
      'gpu_memory_utilization pods/speech/tts-worker-5c6b7f9d8-qm4lz gpu1 25.28',
      'nvidia_gpu_duty_cycle nodes//gpu-node-a1 gpu0 84.62',
      'nvidia_gpu_duty_cycle nodes//gpu-node-a1 gpu1 20.19',
    ]);
  });

  it('labels pod points with the GPU identity and container, and stamps the scrape time', () => {
    const p = points(fixture('h100-two-pods.txt')).find((x) => x.metric === 'nvidia_gpu_duty_cycle');
    expect(p?.labels).to.deep.equal({
      UUID: 'GPU-3f1c2a9e-8d47-4b6e-9a1f-2c5d7e8f9a01',
      gpu: '0',
      modelName: 'NVIDIA H100 80GB HBM3',
      device: 'nvidia0',
      container: 'stt-worker',
    });
    expect(p?.timestampMs).to.equal(NOW);
    expect(p?.windowSeconds).to.equal(undefined);
  });

  it('emits one point per GPU of a multi-GPU pod and falls back to GPU_UTIL per GPU', () => {
    const s = summary(points(fixture('multi-gpu.txt')));
    expect(s.filter((x) => x.startsWith('nvidia_gpu_duty_cycle pods/'))).to.have.members([
      'nvidia_gpu_duty_cycle pods/ml/trainer-0 gpu0 90',
      'nvidia_gpu_duty_cycle pods/ml/trainer-0 gpu1 50',
      'nvidia_gpu_duty_cycle pods/ml/trainer-0 gpu2 30', // no GR_ENGINE on this GPU
    ]);
    // gpu2's FB_USED is NaN: dropped rather than guessed.
    expect(s.filter((x) => x.startsWith('gpu_memory_utilization'))).to.have.members([
      'gpu_memory_utilization pods/ml/trainer-0 gpu0 50',
      'gpu_memory_utilization pods/ml/trainer-0 gpu1 25',
    ]);
  });

  it('treats an empty pod label as unmapped but still counts that GPU for its node (lower-case hostname)', () => {
    const s = summary(points(fixture('multi-gpu.txt')));
    expect(s.filter((x) => x.includes(' nodes/'))).to.have.members([
      'nvidia_gpu_duty_cycle nodes//gpu-node-c3 gpu0 90',
      'nvidia_gpu_duty_cycle nodes//gpu-node-c3 gpu1 50',
      'nvidia_gpu_duty_cycle nodes//gpu-node-c3 gpu2 30',
      // GPU_UTIL reads 4294967295 here, but GR_ENGINE_ACTIVE is present and preferred.
      'nvidia_gpu_duty_cycle nodes//gpu-node-c3 gpu3 10',
    ]);
    expect(s.some((x) => x.includes('pods//'))).to.equal(false);
  });

  it('maps MIG slices per slice for pods and folds them into one GPU per node', () => {
    const ps = points(fixture('mig.txt'));
    expect(summary(ps)).to.have.members([
      'nvidia_gpu_duty_cycle pods/speech/lipsync-6f8d9b7c4-p7wnt gpu0/1 66.4',
      // (66.4 + 0) / 2: the 4g slice is idle.
      'nvidia_gpu_duty_cycle nodes//gpu-node-b2 gpu0 33.2',
    ]);
    const pod = ps.find((p) => p.target.kind === 'object' && p.target.resource === 'pods');
    expect(pod?.labels).to.include({ GPU_I_ID: '1', GPU_I_PROFILE: '3g.40gb' });
    const node = ps.find((p) => p.target.kind === 'object' && p.target.resource === 'nodes');
    expect(node?.labels).to.not.have.property('GPU_I_ID');
  });

  it('never uses GPU_UTIL on a MIG slice, even without GR_ENGINE_ACTIVE', () => {
    const body = [
      'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",GPU_I_ID="3",GPU_I_PROFILE="1g.10gb",Hostname="n",namespace="ns",pod="p"} 0',
      'DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-a",GPU_I_ID="3",GPU_I_PROFILE="1g.10gb",Hostname="n",namespace="ns",pod="p"} 512',
      'DCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-a",GPU_I_ID="3",GPU_I_PROFILE="1g.10gb",Hostname="n",namespace="ns",pod="p"} 9216',
    ].join('\n');
    expect(summary(points(body))).to.deep.equal(['gpu_memory_utilization pods/ns/p gpu0/3 5.26']);
  });

  it('reads exported_pod / exported_namespace / exported_container when configured', () => {
    const names: DcgmLabelNames = {
      pod: 'exported_pod',
      namespace: 'exported_namespace',
      container: 'exported_container',
      node: ['Hostname', 'hostname'],
    };
    const ps = points(fixture('exported-pod.txt'), names);
    expect(summary(ps)).to.have.members([
      'nvidia_gpu_duty_cycle pods/search/embedder-84f6d7c9b-t5r2n gpu0 61.25',
      'gpu_memory_utilization pods/search/embedder-84f6d7c9b-t5r2n gpu0 66.22',
      'nvidia_gpu_duty_cycle nodes//gpu-node-d4 gpu0 61.25',
      'nvidia_gpu_duty_cycle nodes//gpu-node-d4 gpu1 0',
    ]);
    expect(ps[0]?.labels.container).to.equal('embedder');
  });

  it('drops NaN, ±Inf and out-of-range duty cycles, and zero-total framebuffers', () => {
    const l = (i: number): string => `{gpu="${i}",UUID="GPU-${i}",Hostname="n",namespace="ns",pod="p"}`;
    const body = [
      `DCGM_FI_PROF_GR_ENGINE_ACTIVE${l(0)} NaN`,
      `DCGM_FI_DEV_GPU_UTIL${l(1)} 4294967295`,
      `DCGM_FI_PROF_GR_ENGINE_ACTIVE${l(2)} +Inf`,
      `DCGM_FI_DEV_FB_USED${l(3)} 0`,
      `DCGM_FI_DEV_FB_FREE${l(3)} 0`,
      `DCGM_FI_DEV_FB_USED${l(4)} 100`,
      `DCGM_FI_DEV_GPU_UTIL${l(5)} 42`,
    ].join('\n');
    // A NaN GR_ENGINE does not hide GPU_UTIL for a GPU that has none; here no GPU has any.
    expect(summary(points(body))).to.have.members([
      'nvidia_gpu_duty_cycle pods/ns/p gpu5 42',
      'nvidia_gpu_duty_cycle nodes//n gpu5 42',
    ]);
  });

  it('does not mix GPU_UTIL into a GPU that reports GR_ENGINE_ACTIVE on another series', () => {
    // Per-process series (pod_uid) carry GPU_UTIL only; the device series has GR_ENGINE.
    const body = [
      'DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="0",UUID="GPU-a",Hostname="n",namespace="ns",pod="p"} 0.5',
      'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",Hostname="n",namespace="ns",pod="q",pod_uid="u"} 90',
    ].join('\n');
    expect(summary(points(body))).to.have.members([
      'nvidia_gpu_duty_cycle pods/ns/p gpu0 50',
      'nvidia_gpu_duty_cycle nodes//n gpu0 50',
    ]);
  });

  it('counts a GPU shared by several pods once for its node', () => {
    const body = [
      'DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="0",UUID="GPU-a",Hostname="n",namespace="ns",pod="p1",vgpu="0"} 0.7',
      'DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="0",UUID="GPU-a",Hostname="n",namespace="ns",pod="p2",vgpu="1"} 0.7',
      'DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="1",UUID="GPU-b",Hostname="n"} 0.1',
    ].join('\n');
    const nodes = summary(points(body)).filter((x) => x.includes('nodes/'));
    expect(nodes).to.have.members(['nvidia_gpu_duty_cycle nodes//n gpu0 70', 'nvidia_gpu_duty_cycle nodes//n gpu1 10']);
  });

  it('uses the sample timestamp when the line has one, and skips node points without a hostname', () => {
    const body = 'DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="0",UUID="GPU-a",namespace="ns",pod="p"} 0.25 1754312400000';
    const ps = points(body);
    expect(summary(ps)).to.deep.equal(['nvidia_gpu_duty_cycle pods/ns/p gpu0 25']);
    expect(ps[0]?.timestampMs).to.equal(1754312400000);
  });

  it('accepts the old-namespace lower-case uuid label', () => {
    const body = 'DCGM_FI_DEV_GPU_UTIL{gpu="0",uuid="GPU-old",Hostname="n",pod_namespace="ns",pod_name="p"} 12';
    const names: DcgmLabelNames = { pod: 'pod_name', namespace: 'pod_namespace', container: 'container_name', node: ['Hostname'] };
    const ps = points(body, names);
    expect(ps.map((p) => p.labels.UUID)).to.deep.equal(['GPU-old', 'GPU-old']);
  });
});
