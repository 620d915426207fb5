import { expect } from 'chai';
import { PrometheusSource, type PrometheusRule } from '../../src/sources/prometheus.js';
import type { MetricPoint } from '../../src/store/types.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';

const WINDOW = '5s'; // ≥ 4 scrapes at 1 s, short enough to keep the file fast
const INGEST = 'ingest-5b7c9d6f8-k4m2s';
const STT = 'stt-worker-7d9f8c6b5-x2kqp';
const TTS = 'tts-worker-5c6b7f9d8-qm4lz';

const RULES: PrometheusRule[] = [
  {
    name: 'http_request_latency_p99_seconds',
    kind: 'pods',
    query: `histogram_quantile(0.99, sum by (le, namespace, pod) (rate(http_request_duration_seconds_bucket[${WINDOW}])))`,
    windowSeconds: 5,
  },
  { name: 'queue_backlog', kind: 'external', query: 'max by (queue, tier) (fixture_queue_backlog)' },
  { name: 'queue_backlog_total', kind: 'external', query: 'scalar(sum(fixture_queue_backlog))' },
  {
    name: 'deployment_inflight',
    kind: 'object',
    resource: 'deployments.apps',
    objectLabel: 'deployment',
    query: 'sum by (namespace, deployment) (fixture_deployment_inflight)',
  },
];

/** `metric resource/namespace/name` → value, for one poll. */
function byObject(points: readonly MetricPoint[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of points) {
    if (p.target.kind !== 'object') continue;
    m.set(`${p.metric} ${p.target.resource}/${p.target.namespace ?? ''}/${p.target.name}`, p.value);
  }
  return m;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the poll to reject');
}

/** Polls until `ok` (rates need a full window of samples); returns that poll's points. */
async function pollUntil(source: PrometheusSource, ok: (ps: MetricPoint[]) => boolean, timeoutMs = 20_000): Promise<MetricPoint[]> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = 'no poll yet';
  while (Date.now() < deadline) {
    try {
      const ps = await source.poll(new AbortController().signal);
      if (ok(ps)) return ps;
      last = [...byObject(ps)].join('; ');
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`condition not met within ${timeoutMs} ms; last: ${String(last)}`);
}

const near = (actual: number | undefined, expected: number, tolerance = 0.02): boolean =>
  actual !== undefined && Math.abs(actual - expected) <= expected * tolerance;

/** Known per-second rates in test/helpers/fixture-text.ts, summed over each pod's containers. */
const STORAGE: Array<[string, string, number]> = [
  ['storage_read_bytes_per_second', `media/${INGEST}`, 51e6],
  ['storage_write_bytes_per_second', `media/${INGEST}`, 25e6],
  ['storage_read_iops', `media/${INGEST}`, 420],
  ['storage_write_iops', `media/${INGEST}`, 210],
  ['storage_iops', `media/${INGEST}`, 630],
  ['storage_read_bytes_per_second', `speech/${STT}`, 8e6],
  ['storage_write_bytes_per_second', `speech/${STT}`, 2e6],
  ['storage_iops', `speech/${STT}`, 150],
];

const storageSettled = (ps: MetricPoint[]): boolean => {
  const m = byObject(ps);
  return STORAGE.every(([metric, obj, v]) => near(m.get(`${metric} pods/${obj}`), v));
};

describe('PrometheusSource against a real Prometheus scraping the fixtures', function () {
  this.timeout(60_000);
  let fixture: FixtureServer;
  let prom: PrometheusServer;
  let source: PrometheusSource;
  let points: MetricPoint[];

  before(async () => {
    fixture = await FixtureServer.start();
    prom = await startPrometheus([
      { job: 'dcgm', url: fixture.url('/dcgm') },
      { job: 'kubelet', url: fixture.url('/cadvisor') },
      { job: 'app', url: fixture.url('/app') },
    ]);
    source = new PrometheusSource({ url: prom.url, timeoutMs: 3000, gpuFromPrometheus: true, rateWindow: WINDOW, rules: RULES });
    points = await pollUntil(source, storageSettled);
  });

  after(async () => {
    await prom?.cleanup();
    await fixture?.close();
  });

  it('serves GPU duty cycle and memory per pod from DCGM series, GR_ENGINE first, GPU_UTIL as fallback', () => {
    const m = byObject(points);
    expect(m.get(`nvidia_gpu_duty_cycle pods/speech/${STT}`)).to.be.closeTo(84.6212, 1e-6);
    expect(m.get(`nvidia_gpu_duty_cycle pods/speech/${TTS}`)).to.be.closeTo(20.1877, 1e-6);
    expect(m.get('nvidia_gpu_duty_cycle pods/speech/lipsync-6f8d9b7c4-p7wnt')).to.be.closeTo(66.4021, 1e-6);
    expect(m.get('nvidia_gpu_duty_cycle pods/vision/ocr-6d5f7b8c9-z8x7c')).to.be.closeTo(41, 1e-6);
    expect(m.get(`gpu_memory_utilization pods/speech/${STT}`)).to.be.closeTo((61234 / 81024) * 100, 1e-6);
    expect(m.get('gpu_memory_utilization pods/speech/lipsync-6f8d9b7c4-p7wnt')).to.be.closeTo((28160 / 40960) * 100, 1e-6);
    const duty = points.find((p) => p.metric === 'nvidia_gpu_duty_cycle' && p.target.kind === 'object' && p.target.name === STT);
    expect(duty?.labels).to.deep.equal({});
    expect(duty?.windowSeconds).to.equal(5);
    expect(duty?.timestampMs).to.be.within(Date.now() - 30_000, Date.now());
  });

  it('serves node duty cycle as the mean over physical GPUs, MIG slices folded per GPU', () => {
    const m = byObject(points);
    expect(m.get('nvidia_gpu_duty_cycle nodes//gpu-node-a1')).to.be.closeTo((84.6212 + 20.1877) / 2, 1e-6);
    expect(m.get('nvidia_gpu_duty_cycle nodes//gpu-node-b2')).to.be.closeTo(66.4021 / 2, 1e-6);
    expect(m.get('nvidia_gpu_duty_cycle nodes//gpu-node-c3')).to.be.closeTo(41, 1e-6);
  });

  it('serves storage throughput and IOPS per pod within 2 % of the known rates, pod-level and pause rows excluded', () => {
    const m = byObject(points);
    for (const [metric, obj, v] of STORAGE) expect(m.get(`${metric} pods/${obj}`), `${metric} ${obj}`).to.be.closeTo(v, v * 0.02);
    const iops = points.find((p) => p.metric === 'storage_iops');
    expect(iops?.labels).to.deep.equal({});
    expect(iops?.windowSeconds).to.equal(5);
  });

  it('serves a user pods rule (latency p99 from a histogram)', () => {
    const m = byObject(points);
    expect(m.get(`http_request_latency_p99_seconds pods/speech/${STT}`)).to.be.closeTo(0.5, 0.01);
    expect(m.get(`http_request_latency_p99_seconds pods/speech/${TTS}`)).to.be.closeTo(0.975, 0.01);
    const p = points.find((x) => x.metric === 'http_request_latency_p99_seconds');
    expect(p?.windowSeconds).to.equal(5);
  });

  it('serves external rules with the sample labels, and a scalar as one unlabelled series', () => {
    const backlog = points.filter((p) => p.metric === 'queue_backlog').map((p) => [p.labels, p.value]);
    expect(backlog).to.have.deep.members([
      [{ queue: 'stt-queue', tier: 'gold' }, 42],
      [{ queue: 'tts-queue', tier: 'silver' }, 7],
    ]);
    const total = points.filter((p) => p.metric === 'queue_backlog_total');
    expect(total.map((p) => [p.target, p.labels, p.value])).to.deep.equal([[{ kind: 'external' }, {}, 49]]);
  });

  it('serves an object rule for another resource', () => {
    expect(byObject(points).get('deployment_inflight deployments.apps/speech/stt-worker')).to.equal(12);
  });

  it('rejects the whole poll when one query fails, naming the URL, metric and Prometheus error', async () => {
    const bad = new PrometheusSource({ url: prom.url, timeoutMs: 3000, rules: [{ name: 'broken', kind: 'external', query: 'sum(' }] });
    const err = await rejection(bad.poll(new AbortController().signal));
    expect(err.message).to.match(new RegExp(`^prometheus ${prom.url}: query for broken failed: HTTP 400 bad_data: .*parse error`));
  });

  it('rejects clearly while Prometheus is down and serves fresh values again after a restart', async () => {
    await prom.stop();
    const err = await rejection(source.poll(new AbortController().signal));
    expect(err.message).to.match(new RegExp(`^prometheus ${prom.url}: query for \\S+ failed: fetch failed: connect ECONNREFUSED`));

    // Changed while Prometheus is down: only a post-restart scrape can report 50 %.
    const gpu = fixture.state.gpus[0];
    if (!gpu) throw new Error('fixture has no GPUs');
    [gpu.fbUsed, gpu.fbFree] = [40512, 40512];
    try {
      await prom.start();
      const first = byObject(await source.poll(new AbortController().signal));
      expect(first.get(`gpu_memory_utilization pods/speech/${STT}`)).to.equal(50);
      // rate() needs two post-gap samples inside the window before storage is back.
      await pollUntil(source, (ps) => (byObject(ps).get(`storage_iops pods/media/${INGEST}`) ?? 0) > 0, 15_000);
    } finally {
      [gpu.fbUsed, gpu.fbFree] = [61234, 19790];
    }
  });
});
