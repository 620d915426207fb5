/**
 * The ExternalScaler over real gRPC on loopback, in process, with a real MetricStore and
 * StoreProvider whose points the test writes itself (as a poller would). Covers every RPC's
 * contract, error statuses, and push semantics without Redis; the integration tests repeat
 * the important parts against real BullMQ queues and a running adapter.
 */
import { expect } from 'chai';
import { status } from '@grpc/grpc-js';
import { MetricStore, Catalog, builtinCatalog, type MetricPoint } from '../../src/store/index.js';
import { StoreProvider } from '../../src/provider/index.js';
import { resolveResource } from '../../src/apiserver/index.js';
import { silentLogger } from '../../src/util/log.js';
import { KedaGrpcServer } from '../../src/keda/index.js';
import { ScalerClient, ref, rpcError } from '../helpers/keda-client.js';

const QUEUE = 'bullmq:test';
const GPU = 'dcgm:test';

function queuePoints(name: string, total: number, atMs: number, prefix = 'bull'): MetricPoint[] {
  return [
    { metric: 'redis_queue_depth', target: { kind: 'external' }, labels: { queue_name: name, queue_type: 'total', prefix }, value: total, timestampMs: atMs },
    { metric: 'redis_queue_depth', target: { kind: 'external' }, labels: { queue_name: name, queue_type: 'delayed', prefix }, value: 100, timestampMs: atMs },
  ];
}

function gpuPoint(pod: string, gpu: string, value: number, atMs: number): MetricPoint {
  return {
    metric: 'nvidia_gpu_duty_cycle', target: { kind: 'object', resource: 'pods', namespace: 'ai', name: pod },
    labels: { gpu }, value, timestampMs: atMs,
  };
}

describe('keda ExternalScaler service (in process, real gRPC)', function () {
  this.timeout(20_000);
  let now = Date.now();
  const store = new MetricStore(new Catalog(builtinCatalog()), () => now);
  store.registerSource(QUEUE, ['redis_queue_depth']);
  store.registerSource(GPU, ['nvidia_gpu_duty_cycle']);
  const provider = new StoreProvider({ store, resolveResource });
  let server: KedaGrpcServer;
  let client: ScalerClient;

  const setQueue = (total: number) => store.replace(QUEUE, [...queuePoints('stt-queue', total, now), ...queuePoints('tts-queue', 2, now)], now);
  const queueRef = (extra: Record<string, string> = {}) => ref({ metric: 'redis_queue_depth', queueName: 'stt-queue', targetValue: '5', ...extra });

  before(async () => {
    setQueue(7);
    store.replace(GPU, [gpuPoint('stt-0', '0', 90, now), gpuPoint('stt-0', '1', 70, now), gpuPoint('stt-1', '2', 15, now)], now);
    server = new KedaGrpcServer({ store, provider, log: silentLogger, pushEvaluateEveryMs: 50 });
    const port = await server.start('127.0.0.1', 0);
    client = new ScalerClient(`127.0.0.1:${port}`);
  });

  after(async () => {
    client?.close();
    await server?.stop();
  });

  beforeEach(() => {
    now = Date.now();
    setQueue(7);
    store.replace(GPU, [gpuPoint('stt-0', '0', 90, now), gpuPoint('stt-0', '1', 70, now), gpuPoint('stt-1', '2', 15, now)], now);
  });

  it('GetMetricSpec: one spec, lowercase name, target in both fields, never 0', async () => {
    expect((await client.getMetricSpec(queueRef())).metricSpecs).to.deep.equal([
      { metricName: 'redis-queue-depth-stt-queue', targetSize: '5', targetSizeFloat: 5 },
    ]);
    const frac = await client.getMetricSpec(queueRef({ targetValue: '2.5' }));
    expect(frac.metricSpecs[0]).to.include({ targetSize: '3', targetSizeFloat: 2.5 });
    const small = await client.getMetricSpec(queueRef({ targetValue: '250m' }));
    expect(small.metricSpecs[0]).to.include({ targetSize: '1', targetSizeFloat: 0.25 });
    const gpu = await client.getMetricSpec(ref({ metric: 'nvidia_gpu_duty_cycle', targetValue: '70', namespace: 'ai' }));
    expect(gpu.metricSpecs).to.deep.equal([{ metricName: 'nvidia-gpu-duty-cycle', targetSize: '70', targetSizeFloat: 70 }]);
  });

  it('GetMetricSpec is pure: it answers while the source is down', async () => {
    store.fail(QUEUE, 'connect ECONNREFUSED', now);
    expect((await client.getMetricSpec(queueRef())).metricSpecs).to.have.length(1);
    const err = await rpcError(client.getMetrics(queueRef(), 'redis-queue-depth-stt-queue'));
    expect(err.code).to.equal(status.UNAVAILABLE);
  });

  it('GetMetrics: exactly one value, in the int64 and the double field', async () => {
    const res = await client.getMetrics(queueRef(), 'redis-queue-depth-stt-queue');
    expect(res.metricValues).to.deep.equal([{ metricName: 'redis-queue-depth-stt-queue', metricValue: '7', metricValueFloat: 7 }]);
    // Mean over the pods of the namespace, each pod the mean of its GPUs: (80 + 15) / 2.
    const gpu = await client.getMetrics(ref({ metric: 'nvidia_gpu_duty_cycle', targetValue: '70', namespace: 'ai' }), 'nvidia-gpu-duty-cycle');
    expect(gpu.metricValues).to.deep.equal([{ metricName: 'nvidia-gpu-duty-cycle', metricValue: '48', metricValueFloat: 47.5 }]);
    const max = await client.getMetrics(ref({ metric: 'nvidia_gpu_duty_cycle', targetValue: '70', namespace: 'ai', aggregation: 'max' }), '');
    expect(max.metricValues[0]?.metricValueFloat).to.equal(80);
    const gpu1 = await client.getMetrics(ref({ metric: 'nvidia_gpu_duty_cycle', targetValue: '70', namespace: 'ai', metricLabelSelector: 'gpu=1' }), '');
    expect(gpu1.metricValues[0]?.metricValueFloat).to.equal(70);
  });

  it('GetMetrics: sums the queues a selector matches; queueType picks one state', async () => {
    const all = await client.getMetrics(ref({ metric: 'redis_queue_depth', targetValue: '5', prefix: 'bull' }), '');
    expect(all.metricValues.map((v) => v.metricValueFloat)).to.deep.equal([9]);
    const delayed = await client.getMetrics(queueRef({ queueType: 'delayed' }), '');
    expect(delayed.metricValues[0]?.metricValueFloat).to.equal(100);
    const selected = await client.getMetrics(ref({ metric: 'redis_queue_depth', targetValue: '5', labelSelector: 'queue_name in (tts-queue)' }), '');
    expect(selected.metricValues[0]?.metricValueFloat).to.equal(2);
  });

  it('GetMetrics: matches the metric name case-insensitively, refuses another name', async () => {
    const upper = await client.getMetrics(queueRef(), 'REDIS-QUEUE-DEPTH-STT-QUEUE');
    expect(upper.metricValues).to.have.length(1);
    const err = await rpcError(client.getMetrics(queueRef(), 'something-else'));
    expect(err.code).to.equal(status.NOT_FOUND);
    expect(err.details).to.match(/redis-queue-depth-stt-queue/);
  });

  it('IsActive: value > activationThreshold, strictly', async () => {
    expect(await client.isActive(queueRef())).to.deep.equal({ result: true });
    expect(await client.isActive(queueRef({ activationThreshold: '7' }))).to.deep.equal({ result: false });
    expect(await client.isActive(queueRef({ activationThreshold: '6.5' }))).to.deep.equal({ result: true });
    setQueue(0);
    expect(await client.isActive(queueRef())).to.deep.equal({ result: false });
  });

  it('invalid metadata: INVALID_ARGUMENT naming the key, from every RPC', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ queueName: 'q', targetValue: '5' }, /metadata\.metric: is required/],
      [{ metric: 'no_such_metric', targetValue: '5' }, /metadata\.metric: unknown metric "no_such_metric" \(known: .*redis_queue_depth/],
      [{ metric: 'redis_queue_depth', queueName: 'q' }, /metadata\.targetValue: is required/],
      [{ metric: 'redis_queue_depth', targetValue: '0' }, /metadata\.targetValue: must be > 0/],
      [{ metric: 'redis_queue_depth', targetValue: 'five' }, /metadata\.targetValue: must be a number/],
      [{ metric: 'redis_queue_depth', targetValue: '5', activationThreshold: '-1' }, /metadata\.activationThreshold: must be >= 0/],
      [{ metric: 'redis_queue_depth', targetValue: '5', queueType: 'pending' }, /metadata\.queueType: must be one of waiting, .*total/],
      [{ metric: 'redis_queue_depth', targetValue: '5', queueName: 'a:b' }, /metadata\.queueName: must not contain ":"/],
      [{ metric: 'redis_queue_depth', targetValue: '5', labelSelector: 'a in (' }, /metadata\.labelSelector: not a label selector/],
      [{ metric: 'redis_queue_depth', targetValue: '5', aggregation: 'avg' }, /metadata\.aggregation: must be one of sum, mean, max/],
      [{ metric: 'redis_queue_depth', targetValue: '5', queuename: 'x' }, /metadata\.queuename: unknown key/],
      [{ metric: 'nvidia_gpu_duty_cycle', targetValue: '5', queueName: 'x' }, /metadata\.queueName: only applies to metric redis_queue_depth/],
      [{ metric: 'nvidia_gpu_duty_cycle', targetValue: '5', resource: 'deployments' }, /metadata\.resource: "deployments" is not served/],
      [{ metric: 'nvidia_gpu_duty_cycle', targetValue: '5', namespace: 'Bad_NS' }, /metadata\.namespace: must be a namespace name/],
    ];
    for (const [metadata, want] of cases) {
      for (const call of [
        () => client.getMetricSpec(ref(metadata)),
        () => client.getMetrics(ref(metadata), 'x'),
        () => client.isActive(ref(metadata)),
      ]) {
        const err = await rpcError(call());
        expect(err.code, JSON.stringify(metadata)).to.equal(status.INVALID_ARGUMENT);
        expect(err.details, JSON.stringify(metadata)).to.match(want);
      }
      const stream = client.streamIsActive(ref(metadata));
      const end = await stream.ended;
      expect(end.code, JSON.stringify(metadata)).to.equal(status.INVALID_ARGUMENT);
      expect(end.details).to.match(want);
    }
  });

  it('accepts and ignores the keys KEDA itself reads and resolved *FromEnv keys', async () => {
    const meta = { scalerAddress: 'scaler:6000', enableTLS: 'true', unsafeSsl: 'false', redisPasswordFromEnv: 'x' };
    expect((await client.getMetrics(queueRef(meta), '')).metricValues).to.have.length(1);
  });

  it('source failing or stale: UNAVAILABLE with the reason, never 0 or false', async () => {
    store.fail(QUEUE, 'connect ECONNREFUSED 127.0.0.1:1', now);
    for (const call of [() => client.getMetrics(queueRef(), ''), () => client.isActive(queueRef())]) {
      const err = await rpcError(call());
      expect(err.code).to.equal(status.UNAVAILABLE);
      expect(err.details).to.match(/redis_queue_depth is unavailable: source bullmq:test is failing: connect ECONNREFUSED/);
    }
    setQueue(3);
    now += 31_000; // queue samples live 30 s
    const err = await rpcError(client.getMetrics(queueRef(), ''));
    expect(err.code).to.equal(status.UNAVAILABLE);
    expect(err.details).to.match(/older than the 30s limit/);
  });

  it('no matching series: NOT_FOUND that says what was looked for', async () => {
    const err = await rpcError(client.getMetrics(queueRef({ queueName: 'nope' }), ''));
    expect(err.code).to.equal(status.NOT_FOUND);
    expect(err.details).to.match(/no BullMQ queue "nope" exists/);
    const pods = await rpcError(client.isActive(ref({ metric: 'nvidia_gpu_duty_cycle', targetValue: '70', namespace: 'empty' })));
    expect(pods.code).to.equal(status.NOT_FOUND);
    expect(pods.details).to.match(/found no pods in namespace empty with a fresh nvidia_gpu_duty_cycle sample/);
  });

  it('StreamIsActive: current state at once, then transitions only, nothing while unknown', async () => {
    setQueue(0);
    const s = client.streamIsActive(queueRef());
    await s.waitFor((m) => m.result === false, 2_000);
    setQueue(3);
    await s.waitFor((m) => m.result === true, 2_000);
    setQueue(4);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.messages.map((m) => m.value.result)).to.deep.equal([false, true]);
    store.fail(QUEUE, 'down', now);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.messages).to.have.length(2);
    setQueue(0);
    await s.waitFor((m) => m.result === false, 2_000, 2);
    expect(s.messages.map((m) => m.value.result)).to.deep.equal([false, true, false]);
    s.cancel();
    await s.ended;
    await waitUntil(() => server.pushState.streams === 0, 2_000);
  });

  it('StreamIsActive: hundreds of streams share one trigger and are all released', async () => {
    setQueue(1);
    const streams = Array.from({ length: 300 }, () => client.streamIsActive(queueRef()));
    await Promise.all(streams.map((s) => s.waitFor((m) => m.result === true, 5_000)));
    expect(server.pushState).to.include({ streams: 300, triggers: 1 });
    for (const s of streams) s.cancel();
    await waitUntil(() => server.pushState.streams === 0 && server.pushState.triggers === 0, 5_000);
  });

  it('StreamMetricSpec: the specs at once, equal to GetMetricSpec', async () => {
    const s = client.streamMetricSpec(queueRef());
    const first = await s.waitFor(() => true, 2_000);
    expect(first.value).to.deep.equal(await client.getMetricSpec(queueRef()));
    s.cancel();
  });

  it('shutdown: health turns NOT_SERVING and push streams end with OK (KEDA then reconnects after 2 s, not 60 s)', async () => {
    const other = new KedaGrpcServer({ store, provider, log: silentLogger });
    const port = await other.start('127.0.0.1', 0);
    const c = new ScalerClient(`127.0.0.1:${port}`);
    try {
      const s = c.streamIsActive(queueRef());
      await s.waitFor(() => true, 2_000);
      const w = c.watchHealth('externalscaler.ExternalScaler');
      await w.waitFor((m) => m.status === 'SERVING', 2_000);
      await other.stop();
      expect((await s.ended).code).to.equal(status.OK);
      await w.waitFor((m) => m.status === 'NOT_SERVING', 2_000);
    } finally {
      c.close();
    }
  });

  it('grpc.health.v1: server and ExternalScaler SERVING, unknown service NOT_FOUND', async () => {
    expect(await client.check('')).to.deep.equal({ status: 'SERVING' });
    expect(await client.check('externalscaler.ExternalScaler')).to.deep.equal({ status: 'SERVING' });
    const err = await rpcError(client.check('nope.Service'));
    expect(err.code).to.equal(status.NOT_FOUND);
    const w = client.watchHealth('');
    await w.waitFor((m) => m.status === 'SERVING', 2_000);
    w.cancel();
  });
});

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
