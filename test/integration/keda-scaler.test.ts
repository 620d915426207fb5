/**
 * The KEDA external scaler of a running `serve` process, driven by a gRPC client built
 * from proto/externalscaler.proto the way KEDA's scale loop drives it (GetMetricSpec →
 * GetMetrics → IsActive), against a real Redis with real BullMQ queues and a dcgm-exporter
 * fixture. The same numbers are read through the HTTP metrics API with kubectl: they must
 * be equal at the same moment.
 */
import { expect } from 'chai';
import { status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import type { GpuFixture } from '../helpers/fixture-text.js';
import { startAdapter, eventually, type AdapterProcess } from '../helpers/adapter.js';
import { getRaw } from '../helpers/kubectl.js';
import { ScalerClient, ref, rpcError } from '../helpers/keda-client.js';
import { parseQuantity } from '../../src/apiserver/index.js';

const POLL = { intervalSeconds: 0.5, timeoutSeconds: 1 };

function gpu(index: number, pod: string, util: number): GpuFixture {
  return {
    gpu: index, uuid: `GPU-${pod}-${index}`, pciBusId: `00000000:1${index}:00.0`, modelName: 'NVIDIA H100 80GB HBM3',
    hostname: 'gpu-node-1', util, fbUsed: 1000, fbFree: 79_000, pod: { namespace: 'ai-models', name: pod, container: 'model' },
  };
}

interface ExternalList { items: { value: string; metricLabels: Record<string, string> }[] }
interface CustomList { items: { value: string; describedObject: { name: string } }[] }

describe('KEDA external scaler (serve process, real Redis + BullMQ + dcgm fixture)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let fixture: FixtureServer;
  let adapter: AdapterProcess;
  let conn: Redis;
  let queue: Queue;
  let client: ScalerClient;

  const queueTrigger = (extra: Record<string, string> = {}) =>
    ref({ scalerAddress: 'ai-metrics-adapter-keda.ai-metrics-adapter:6000', metric: 'redis_queue_depth', queueName: 'stt-queue', targetValue: '5', ...extra }, 'stt-worker', 'speech');
  const gpuTrigger = (extra: Record<string, string> = {}) =>
    ref({ metric: 'nvidia_gpu_duty_cycle', targetValue: '70', ...extra }, 'llm', 'ai-models');
  const http = <T>(path: string) => getRaw<T>(adapter.kubeconfig, path);
  const httpQueue = () =>
    http<ExternalList>('/apis/external.metrics.k8s.io/v1beta1/namespaces/speech/redis_queue_depth?labelSelector=queue_name%3Dstt-queue');

  before(async () => {
    redis = await startRedis();
    fixture = await FixtureServer.start();
    fixture.state.gpus = [gpu(0, 'llm-0', 90), gpu(1, 'llm-0', 70), gpu(2, 'llm-1', 30)];
    adapter = await startAdapter(
      { dcgm: POLL, bullmq: { ...POLL, discoveryIntervalSeconds: 0.5 } },
      ['--redis-url', redis.url, '--dcgm-url', fixture.url('/dcgm')],
    );
    conn = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: null });
    conn.on('error', () => undefined); // expected while the test stops Redis
    queue = new Queue('stt-queue', { connection: conn });
    queue.on('error', () => undefined);
    client = new ScalerClient(`127.0.0.1:${adapter.grpcPort}`);
  });

  after(async () => {
    client?.close();
    await queue?.close();
    conn?.disconnect();
    await adapter?.stop();
    await fixture?.close();
    await redis?.cleanup();
  });

  it('answers grpc.health.v1 for the server and, once polled, for the ExternalScaler', async () => {
    expect(await client.check('')).to.deep.equal({ status: 'SERVING' });
    await eventually(async () => expect(await client.check('externalscaler.ExternalScaler')).to.deep.equal({ status: 'SERVING' }));
  });

  it('BullMQ queue: spec, value (waiting + prioritized, delayed apart) and activity, as KEDA polls them', async () => {
    for (let i = 0; i < 7; i++) await queue.add('job', { i });
    for (let i = 0; i < 3; i++) await queue.add('job', { i }, { priority: 2 });
    for (let i = 0; i < 2; i++) await queue.add('job', { i }, { delay: 600_000 });
    const polled = await eventually(async () => {
      const p = await client.poll(queueTrigger());
      expect(p.value).to.equal(10);
      return p;
    });
    expect(polled).to.deep.equal({ name: 'redis-queue-depth-stt-queue', target: 5, value: 10, active: true });
    expect((await client.poll(queueTrigger({ queueType: 'delayed' }))).value).to.equal(2);
    expect((await client.isActive(queueTrigger({ activationThreshold: '10' }))).result).to.equal(false);
    expect((await client.isActive(queueTrigger({ activationThreshold: '9.5' }))).result).to.equal(true);
    const raw = await client.getMetrics(queueTrigger(), 'redis-queue-depth-stt-queue');
    expect(raw.metricValues).to.deep.equal([{ metricName: 'redis-queue-depth-stt-queue', metricValue: '10', metricValueFloat: 10 }]);
  });

  it('parity: the gRPC queue value equals the HTTP API value at the same moment', async () => {
    let want = 10; // the jobs of the previous test
    for (const extra of [0, 3, 5]) {
      for (let i = 0; i < extra; i++) await queue.add('job', { extra });
      want += extra;
      // Once the poll has seen the new jobs, nothing changes the queue: both doors must agree.
      await eventually(async () => expect((await client.getMetrics(queueTrigger(), '')).metricValues[0]?.metricValueFloat).to.equal(want));
      for (let round = 0; round < 3; round++) {
        const [g, h] = await Promise.all([client.getMetrics(queueTrigger(), ''), httpQueue()]);
        expect([g.metricValues[0]?.metricValueFloat, ...h.items.map((x) => parseQuantity(x.value))]).to.deep.equal([want, want]);
      }
    }
  });

  it('parity: GPU duty cycle over the same pods, mean (metricType Value) and one series', async () => {
    const podsPath = '/apis/custom.metrics.k8s.io/v1beta2/namespaces/ai-models/pods/*/nvidia_gpu_duty_cycle';
    const [g, h] = await eventually(async () => {
      const both = await Promise.all([client.poll(gpuTrigger()), http<CustomList>(podsPath)]);
      expect(both[1].items).to.have.length(2);
      return both;
    });
    const perPod = h.items.map((i) => parseQuantity(i.value));
    expect(perPod.sort()).to.deep.equal([30, 80]);
    expect(g).to.deep.equal({ name: 'nvidia-gpu-duty-cycle', target: 70, value: 55, active: true });
    expect(g.value).to.equal(perPod.reduce((a, b) => a + b, 0) / perPod.length);
    const one = await Promise.all([
      client.getMetrics(gpuTrigger({ metricLabelSelector: 'gpu=1' }), ''),
      http<CustomList>(`${podsPath.replace('*', 'llm-0')}?metricLabelSelector=gpu%3D1`),
    ]);
    expect(one[0].metricValues[0]?.metricValueFloat).to.equal(70);
    expect(one[1].items.map((i) => parseQuantity(i.value))).to.deep.equal([70]);
    expect((await client.poll(gpuTrigger({ aggregation: 'max' }))).value).to.equal(80);
  });

  it('invalid metadata: INVALID_ARGUMENT naming the key, GetMetricSpec included', async () => {
    const err = await rpcError(client.getMetricSpec(queueTrigger({ targetValue: 'lots' })));
    expect(err.code).to.equal(status.INVALID_ARGUMENT);
    expect(err.details).to.match(/metadata\.targetValue: must be a number/);
    const unknown = await rpcError(client.getMetrics(queueTrigger({ metric: 'gpu_duty' }), ''));
    expect(unknown.code).to.equal(status.INVALID_ARGUMENT);
    expect(unknown.details).to.match(/metadata\.metric: unknown metric "gpu_duty"/);
  });

  it('queue that does not exist: NOT_FOUND, never a 0', async () => {
    const err = await rpcError(client.getMetrics(queueTrigger({ queueName: 'no-such-queue' }), ''));
    expect(err.code).to.equal(status.NOT_FOUND);
    expect(err.details).to.match(/no BullMQ queue "no-such-queue"/);
  });

  it('Redis down: UNAVAILABLE with the reason from GetMetrics and IsActive, spec still served; back up: values again', async () => {
    await redis.stop();
    for (const call of [() => client.getMetrics(queueTrigger(), ''), () => client.isActive(queueTrigger())]) {
      // A poll cut off by the stop says "Connection is closed."; the next one names the refusal.
      await eventually(async () => {
        const e = await rpcError(call());
        expect(e.code).to.equal(status.UNAVAILABLE);
        expect(e.details).to.match(/redis_queue_depth is unavailable: source bullmq:redis:\/\/127\.0\.0\.1:\d+ is failing: .*ECONNREFUSED/);
      }, 5_000);
    }
    expect((await client.getMetricSpec(queueTrigger())).metricSpecs).to.have.length(1);
    await redis.start();
    await queue.add('job', {}); // Redis restarted empty
    await eventually(async () => expect(await client.poll(queueTrigger())).to.include({ value: 1, active: true }), 10_000);
  });

  it('dcgm-exporter hanging: UNAVAILABLE naming the source; answering again: values return', async () => {
    fixture.behave('/dcgm', { kind: 'hang' });
    await eventually(async () => {
      const e = await rpcError(client.getMetrics(gpuTrigger(), ''));
      expect(e.code).to.equal(status.UNAVAILABLE);
      expect(e.details).to.match(/nvidia_gpu_duty_cycle is unavailable: source dcgm:http/);
    }, 5_000);
    fixture.behave('/dcgm', { kind: 'ok' });
    await eventually(async () => expect((await client.poll(gpuTrigger())).value).to.equal(55), 5_000);
  });

  it('counts its RPCs on /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${adapter.httpPort}/metrics`)).text();
    expect(text).to.match(/ai_metrics_adapter_keda_requests_total\{rpc="GetMetrics",code="OK"\} \d+/);
    expect(text).to.match(/ai_metrics_adapter_keda_requests_total\{rpc="GetMetrics",code="UNAVAILABLE"\} \d+/);
    expect(text).to.match(/ai_metrics_adapter_keda_requests_total\{rpc="GetMetricSpec",code="INVALID_ARGUMENT"\} \d+/);
  });
});
