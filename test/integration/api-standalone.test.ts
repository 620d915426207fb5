/**
 * The adapter process in standalone mode, read with kubectl 1.33 exactly as a user would:
 * discovery, BullMQ queue depth from real queues in a real Redis, GPU duty cycle from a
 * dcgm-exporter endpoint, error Status bodies, and recovery from backend failures.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import type { GpuFixture } from '../helpers/fixture-text.js';
import { startAdapter, eventually, type AdapterProcess } from '../helpers/adapter.js';
import { getRaw, kubectl } from '../helpers/kubectl.js';

const POLL = { intervalSeconds: 0.5, timeoutSeconds: 1 };

function gpu(gpuIndex: number, pod: string | undefined, util: number, hostname = 'gpu-node-1'): GpuFixture {
  return {
    gpu: gpuIndex, uuid: `GPU-${pod ?? 'free'}-${gpuIndex}`, pciBusId: `00000000:1${gpuIndex}:00.0`, modelName: 'NVIDIA H100 80GB HBM3',
    hostname, util, fbUsed: 1000 * util, fbFree: 100_000 - 1000 * util,
    ...(pod ? { pod: { namespace: 'ai-models', name: pod, container: 'model' } } : {}),
  };
}

interface Item { value: string; describedObject: { name: string; kind: string; apiVersion: string }; [k: string]: unknown }
interface List { kind: string; apiVersion: string; items: Item[] }

describe('metrics API, standalone, through kubectl', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let fixture: FixtureServer;
  let adapter: AdapterProcess;
  let conn: Redis;
  let queue: Queue;

  before(async () => {
    redis = await startRedis();
    fixture = await FixtureServer.start();
    fixture.state.gpus = [gpu(0, 'stt-0', 90), gpu(1, 'stt-0', 70), gpu(2, 'stt-1', 30), gpu(3, undefined, 0)];
    adapter = await startAdapter(
      { dcgm: POLL, bullmq: { ...POLL, discoveryIntervalSeconds: 0.5 } },
      ['--redis-url', redis.url, '--dcgm-url', fixture.url('/dcgm')],
    );
    conn = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: null });
    conn.on('error', () => undefined); // expected while the test stops Redis
    queue = new Queue('stt-queue', { connection: conn });
    queue.on('error', () => undefined);
  });

  after(async () => {
    await queue?.close();
    conn?.disconnect();
    await adapter?.stop();
    await fixture?.close();
    await redis?.cleanup();
  });

  const raw = <T = List>(path: string) => getRaw<T>(adapter.kubeconfig, path);
  const ext = (selector: string) =>
    raw(`/apis/external.metrics.k8s.io/v1beta1/namespaces/default/redis_queue_depth?labelSelector=${encodeURIComponent(selector)}`);

  it('answers discovery for both custom versions and external, never empty', async () => {
    for (const gv of ['custom.metrics.k8s.io/v1beta2', 'custom.metrics.k8s.io/v1beta1', 'external.metrics.k8s.io/v1beta1']) {
      const list = await raw<{ groupVersion: string; resources: { name: string }[] }>(`/apis/${gv}`);
      expect(list.groupVersion).to.equal(gv);
      expect(list.resources.length).to.be.greaterThan(0);
    }
    const groups = await raw<{ groups: { name: string; preferredVersion: { version: string } }[] }>('/apis');
    expect(groups.groups.map((g) => [g.name, g.preferredVersion.version])).to.deep.equal([
      ['custom.metrics.k8s.io', 'v1beta2'],
      ['external.metrics.k8s.io', 'v1beta1'],
    ]);
  });

  it('serves BullMQ depth: total = waiting + prioritized (+paused, active), delayed on its own', async () => {
    for (let i = 0; i < 7; i++) await queue.add('job', { i });
    for (let i = 0; i < 3; i++) await queue.add('job', { i }, { priority: 3 });
    for (let i = 0; i < 2; i++) await queue.add('job', { i }, { delay: 600_000 });
    const total = await eventually(async () => {
      const list = await ext('queue_name=stt-queue');
      expect(list.items.map((i) => i.value)).to.deep.equal(['10']);
      return list;
    });
    expect(total.items[0]).to.include({ metricName: 'redis_queue_depth' });
    expect(total.items[0]?.metricLabels).to.deep.equal({ prefix: 'bull', queue_name: 'stt-queue', queue_type: 'total' });
    const delayed = await ext('queue_name=stt-queue,queue_type=delayed');
    expect(delayed.items.map((i) => i.value)).to.deep.equal(['2']);
  });

  it('serves per-pod GPU duty cycle means in v1beta2 and v1beta1 shapes', async () => {
    const path = (v: string) => `/apis/custom.metrics.k8s.io/${v}/namespaces/ai-models/pods/*/nvidia_gpu_duty_cycle`;
    const v2 = await eventually(() => raw(path('v1beta2')));
    expect(v2).to.include({ kind: 'MetricValueList', apiVersion: 'custom.metrics.k8s.io/v1beta2' });
    const byPod = Object.fromEntries(v2.items.map((i) => [i.describedObject.name, i.value]));
    expect(byPod).to.deep.equal({ 'stt-0': '80', 'stt-1': '30' });
    expect(v2.items[0]).to.have.property('metric').that.deep.equals({ name: 'nvidia_gpu_duty_cycle', selector: null });
    expect(v2.items[0]?.describedObject).to.include({ kind: 'Pod', apiVersion: 'v1' });

    const v1 = await raw(path('v1beta1'));
    expect(v1).to.include({ kind: 'MetricValueList', apiVersion: 'custom.metrics.k8s.io/v1beta1' });
    expect(Object.fromEntries(v1.items.map((i) => [i.describedObject.name, i.value]))).to.deep.equal(byPod);
    expect(v1.items[0]).to.include({ metricName: 'nvidia_gpu_duty_cycle', selector: null });
    expect(v1.items[0]).to.not.have.property('metric');
  });

  it('serves one pod (path A, singular resource name), one node (path D) and filters by metricLabelSelector', async () => {
    const one = await raw('/apis/custom.metrics.k8s.io/v1beta2/namespaces/ai-models/pod/stt-0/nvidia_gpu_duty_cycle');
    expect(one.items.map((i) => i.value)).to.deep.equal(['80']);
    const node = await raw('/apis/custom.metrics.k8s.io/v1beta2/nodes/gpu-node-1/nvidia_gpu_duty_cycle');
    expect(node.items.map((i) => [i.describedObject.kind, i.value])).to.deep.equal([['Node', '47500m']]);
    const gpu1 = await raw('/apis/custom.metrics.k8s.io/v1beta2/namespaces/ai-models/pods/stt-0/nvidia_gpu_duty_cycle?metricLabelSelector=gpu%3D1');
    expect(gpu1.items.map((i) => i.value)).to.deep.equal(['70']);
    const mem = await raw('/apis/custom.metrics.k8s.io/v1beta1/namespaces/ai-models/pods/stt-1/gpu_memory_utilization');
    expect(mem.items.map((i) => i.value)).to.deep.equal(['30']);
  });

  it('answers metav1.Status errors with the right codes', async () => {
    const cases: [string, RegExp][] = [
      ['/apis/custom.metrics.k8s.io/v1beta2/namespaces/ai-models/pods/*/no_such_metric', /NotFound.*could not find the metric no_such_metric/],
      ['/apis/custom.metrics.k8s.io/v1beta2/namespaces/ai-models/pods/nobody/nvidia_gpu_duty_cycle', /NotFound.*for pods nobody/],
      ['/apis/custom.metrics.k8s.io/v1beta2/namespaces/ai-models/pods/*/nvidia_gpu_duty_cycle?labelSelector=app%3Dx', /BadRequest.*cluster mode/],
      ['/apis/custom.metrics.k8s.io/v1beta2/namespaces/ai-models/pods/*/nvidia_gpu_duty_cycle?metricLabelSelector=a%20in%20(', /BadRequest/],
      ['/apis/custom.metrics.k8s.io/v1beta2/namespaces/ai-models/pods/stt-0', /BadRequest.*invalid request path/],
      ['/apis/custom.metrics.k8s.io/v1beta2/namespaces/ai-models/pods/*/storage_iops', /NotFound.*--prometheus-url/],
      ['/apis/custom.metrics.k8s.io/v1beta3', /NotFound/],
      ['/openapi/v3', /NotFound/],
    ];
    for (const [path, want] of cases) {
      const r = await kubectl(adapter.kubeconfig, ['get', '--raw', path]);
      expect(r.code, path).to.not.equal(0);
      expect(r.stderr, path).to.match(want);
    }
  });

  it('serves a minimal Swagger 2.0 document with an ETag on /openapi/v2, and 404 on /openapi/v3', async () => {
    const spec = await raw<{ swagger: string; paths: object }>('/openapi/v2');
    expect(spec).to.deep.include({ swagger: '2.0', paths: {} });
  });

  it('answers 406 for a non-JSON Accept and keeps connections alive for 120 s', async () => {
    const { request } = await import('node:https');
    const res = await new Promise<{ status: number; body: string; keepAlive: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: adapter.securePort, path: '/apis/custom.metrics.k8s.io/v1beta2', ca: adapter.ca, headers: { accept: 'text/html' } },
        (r) => {
          let body = '';
          r.on('data', (d: Buffer) => (body += d.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body, keepAlive: String(r.headers['keep-alive']) }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(res.status).to.equal(406);
    expect(JSON.parse(res.body)).to.include({ kind: 'Status', reason: 'NotAcceptable', code: 406 });
    expect(res.keepAlive).to.equal('timeout=120');
  });

  it('Redis down: 503 within one poll interval, never 0; back up: values return without a restart', async () => {
    await redis.stop();
    await eventually(async () => {
      const r = await kubectl(adapter.kubeconfig, ['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/redis_queue_depth']);
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/ServiceUnavailable.*redis_queue_depth.*ECONNREFUSED/);
    }, 3_000);
    await redis.start();
    // Redis restarted empty: the queue must be refilled to be seen again.
    await queue.add('job', {});
    await eventually(async () => expect((await ext('queue_name=stt-queue')).items.map((i) => i.value)).to.deep.equal(['1']), 10_000);
  });

  it('DCGM endpoint hanging: 503 naming the source; answering again: values return', async () => {
    fixture.behave('/dcgm', { kind: 'hang' });
    const path = '/apis/custom.metrics.k8s.io/v1beta2/namespaces/ai-models/pods/*/nvidia_gpu_duty_cycle';
    await eventually(async () => {
      const r = await kubectl(adapter.kubeconfig, ['get', '--raw', path]);
      expect(r.stderr).to.match(/ServiceUnavailable.*dcgm:http.*timed out|ServiceUnavailable.*dcgm:http/);
    }, 5_000);
    fixture.behave('/dcgm', { kind: 'ok' });
    await eventually(async () => expect((await raw(path)).items).to.have.length(2), 5_000);
  });

  it('exports request, poll and source metrics on the plain HTTP port', async () => {
    const text = await (await fetch(`http://127.0.0.1:${adapter.httpPort}/metrics`)).text();
    expect(text).to.match(/ai_metrics_adapter_api_requests_total\{route="external",code="200"\} \d+/);
    expect(text).to.match(/ai_metrics_adapter_api_requests_total\{route="external",code="503"\} \d+/);
    expect(text).to.match(/ai_metrics_adapter_source_poll_errors_total\{source="bullmq:redis:\/\/127\.0\.0\.1:\d+"\} \d+/);
    expect(text).to.match(/ai_metrics_adapter_source_up\{source="dcgm:http:\/\/127\.0\.0\.1:\d+\/dcgm"\} 1/);
    const ready = await fetch(`http://127.0.0.1:${adapter.httpPort}/readyz?verbose`);
    expect(ready.status).to.equal(200);
    expect(await ready.text()).to.contain('[+]first-poll ok');
  });
});
