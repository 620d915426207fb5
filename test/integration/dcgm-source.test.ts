import { expect } from 'chai';
import { DcgmSource } from '../../src/sources/dcgm.js';
import type { MetricPoint } from '../../src/store/types.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import { freePort } from '../helpers/ports.js';

function find(points: readonly MetricPoint[], metric: string, resource: string, name: string): MetricPoint[] {
  return points.filter((p) => p.metric === metric && p.target.kind === 'object' && p.target.resource === resource && p.target.name === name);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the poll to reject');
}

describe('DcgmSource against a dcgm-exporter fixture', function () {
  this.timeout(10_000);
  let fixture: FixtureServer;

  before(async () => {
    fixture = await FixtureServer.start();
  });

  after(async () => {
    await fixture.close();
  });

  afterEach(() => {
    fixture.behave('/dcgm', { kind: 'ok' });
  });

  it('serves per-GPU duty cycle and memory per pod, and per physical GPU per node', async () => {
    const source = new DcgmSource({ url: fixture.url('/dcgm'), timeoutMs: 2000 });
    expect(source.id).to.equal(`dcgm:${fixture.url('/dcgm')}`);
    const before = Date.now();
    const points = await source.poll(new AbortController().signal);

    const stt = find(points, 'nvidia_gpu_duty_cycle', 'pods', 'stt-worker-7d9f8c6b5-x2kqp');
    expect(stt.map((p) => p.value)).to.deep.equal([84.6212]);
    expect(stt[0]?.target).to.deep.equal({ kind: 'object', resource: 'pods', namespace: 'speech', name: 'stt-worker-7d9f8c6b5-x2kqp' });
    expect(stt[0]?.timestampMs).to.be.within(before, Date.now());
    const ocr = find(points, 'nvidia_gpu_duty_cycle', 'pods', 'ocr-6d5f7b8c9-z8x7c');
    expect(ocr.map((p) => p.value)).to.deep.equal([41]); // T4: no GR_ENGINE, GPU_UTIL fallback
    const lipsyncMem = find(points, 'gpu_memory_utilization', 'pods', 'lipsync-6f8d9b7c4-p7wnt');
    expect(lipsyncMem.map((p) => p.value)).to.deep.equal([(28160 / 40960) * 100]);

    expect(find(points, 'nvidia_gpu_duty_cycle', 'nodes', 'gpu-node-a1').map((p) => p.value)).to.have.members([84.6212, 20.1877]);
    const b2 = find(points, 'nvidia_gpu_duty_cycle', 'nodes', 'gpu-node-b2');
    expect(b2).to.have.length(1); // one A100, its 3g and 4g slices folded together
    expect(b2[0]?.value).to.be.closeTo(66.4021 / 2, 1e-9);
  });

  it('follows value changes and exported_* label names', async () => {
    fixture.state.dcgmLabels = { pod: 'exported_pod', namespace: 'exported_namespace', container: 'exported_container' };
    const gpu = fixture.state.gpus[1];
    if (gpu) gpu.grEngine = 0.5;
    try {
      const source = new DcgmSource({
        url: fixture.url('/dcgm'),
        podLabel: 'exported_pod',
        namespaceLabel: 'exported_namespace',
        containerLabel: 'exported_container',
      });
      const points = await source.poll(new AbortController().signal);
      const tts = find(points, 'nvidia_gpu_duty_cycle', 'pods', 'tts-worker-5c6b7f9d8-qm4lz');
      expect(tts.map((p) => [p.value, p.labels.container])).to.deep.equal([[50, 'tts-worker']]);
    } finally {
      fixture.state.dcgmLabels = { pod: 'pod', namespace: 'namespace', container: 'container' };
      if (gpu) gpu.grEngine = 0.201877;
    }
  });

  it('rejects within the timeout when the exporter hangs, then recovers', async () => {
    const source = new DcgmSource({ url: fixture.url('/dcgm'), timeoutMs: 300 });
    fixture.behave('/dcgm', { kind: 'hang' });
    const started = Date.now();
    const err = await rejection(source.poll(new AbortController().signal));
    const took = Date.now() - started;
    expect(err.message).to.equal(`dcgm-exporter ${fixture.url('/dcgm')}: no response within 300 ms`);
    expect(took).to.be.within(250, 1000);

    fixture.behave('/dcgm', { kind: 'ok' });
    expect(await source.poll(new AbortController().signal)).to.have.length.greaterThan(0);
  });

  it('rejects a non-200 answer naming the URL and status', async () => {
    const source = new DcgmSource({ url: fixture.url('/dcgm') });
    fixture.behave('/dcgm', { kind: 'status', status: 500 });
    const err = await rejection(source.poll(new AbortController().signal));
    expect(err.message).to.equal(`dcgm-exporter ${fixture.url('/dcgm')}: HTTP 500 Internal Server Error`);
  });

  it('rejects an unparsable body naming the line', async () => {
    const source = new DcgmSource({ url: fixture.url('/dcgm') });
    // A label name with a space: the first sample line (line 3, after HELP and TYPE) is malformed.
    fixture.state.dcgmLabels = { pod: 'pod', namespace: 'namespace', container: 'bad label' };
    try {
      const err = await rejection(source.poll(new AbortController().signal));
      expect(err.message).to.contain(`dcgm-exporter ${fixture.url('/dcgm')}: cannot parse the response: line 3: expected "="`);
    } finally {
      fixture.state.dcgmLabels = { pod: 'pod', namespace: 'namespace', container: 'container' };
    }
  });

  it('honours the caller’s abort signal', async () => {
    const source = new DcgmSource({ url: fixture.url('/dcgm'), timeoutMs: 5000 });
    fixture.behave('/dcgm', { kind: 'hang' });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const err = await rejection(source.poll(ctl.signal));
    expect(err.message).to.equal(`dcgm-exporter ${fixture.url('/dcgm')}: request aborted`);
  });

  it('rejects with the connection error when nothing listens', async () => {
    const url = `http://127.0.0.1:${await freePort()}/metrics`;
    const source = new DcgmSource({ url, timeoutMs: 2000 });
    const err = await rejection(source.poll(new AbortController().signal));
    expect(err.message).to.match(/: connect ECONNREFUSED 127\.0\.0\.1:/);
    expect(err.message.startsWith(`dcgm-exporter ${url}: `)).to.equal(true);
  });
});
