/**
 * The adapter process with a real Prometheus scraping dcgm-exporter, kubelet cAdvisor and
 * application fixtures: storage rates, GPU metrics and user rules through kubectl, and an
 * honest 503 while Prometheus is down.
 */
import { expect } from 'chai';
import { FixtureServer } from '../helpers/fixture-server.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';
import { startAdapter, eventually, type AdapterProcess } from '../helpers/adapter.js';
import { getRaw, kubectl } from '../helpers/kubectl.js';
import { parseQuantity } from '../../src/apiserver/index.js';

const INGEST = 'ingest-5b7c9d6f8-k4m2s';
const STT = 'stt-worker-7d9f8c6b5-x2kqp';

interface List {
  apiVersion: string;
  items: { describedObject: { name: string }; value: string; metricLabels?: Record<string, string>; windowSeconds?: number }[];
}

describe('metrics API backed by a real Prometheus', function () {
  this.timeout(90_000);
  let fixture: FixtureServer;
  let prom: PrometheusServer;
  let adapter: AdapterProcess;

  before(async () => {
    fixture = await FixtureServer.start();
    prom = await startPrometheus([
      { job: 'dcgm', url: fixture.url('/dcgm') },
      { job: 'kubelet', url: fixture.url('/cadvisor') },
      { job: 'app', url: fixture.url('/app') },
    ]);
    adapter = await startAdapter({
      prometheus: {
        intervalSeconds: 1,
        timeoutSeconds: 2,
        rateWindow: '5s',
        rules: [
          {
            name: 'http_request_latency_p99_seconds', kind: 'pods',
            query: 'histogram_quantile(0.99, sum by (le, namespace, pod) (rate(http_request_duration_seconds_bucket[5s])))',
          },
          { name: 'queue_backlog', kind: 'external', query: 'max by (queue, tier) (fixture_queue_backlog)' },
        ],
      },
      bullmq: { urls: [] },
    }, ['--prometheus-url', prom.url]);
  });

  after(async () => {
    await adapter?.stop();
    await prom?.cleanup();
    await fixture?.close();
  });

  const raw = (path: string) => getRaw<List>(adapter.kubeconfig, path);
  const podValue = async (ns: string, metric: string, pod: string) => {
    const list = await raw(`/apis/custom.metrics.k8s.io/v1beta2/namespaces/${ns}/pods/*/${metric}`);
    const item = list.items.find((i) => i.describedObject.name === pod);
    if (!item) throw new Error(`${metric}: no item for ${pod} in ${JSON.stringify(list.items)}`);
    return parseQuantity(item.value);
  };

  it('serves storage throughput and IOPS per pod as Prometheus rates (rate window reported)', async () => {
    const expected: [string, number][] = [
      ['storage_read_bytes_per_second', 51e6],
      ['storage_write_bytes_per_second', 25e6],
      ['storage_read_iops', 420],
      ['storage_write_iops', 210],
      ['storage_iops', 630],
    ];
    await eventually(async () => {
      for (const [metric, v] of expected) expect(await podValue('media', metric, INGEST), metric).to.be.closeTo(v, v * 0.02);
    }, 30_000, 500);
    const list = await raw(`/apis/custom.metrics.k8s.io/v1beta2/namespaces/media/pods/*/storage_iops`);
    expect(list.items[0]?.windowSeconds).to.equal(5);
  });

  it('serves GPU duty cycle from DCGM series in Prometheus when no --dcgm-url is given', async () => {
    await eventually(async () => expect(await podValue('speech', 'nvidia_gpu_duty_cycle', STT)).to.be.closeTo(84.621, 0.001), 15_000);
  });

  it('serves user rules as pods and external metrics', async () => {
    await eventually(async () => expect(await podValue('speech', 'http_request_latency_p99_seconds', STT)).to.be.closeTo(0.5, 0.01), 15_000);
    const ext = await raw('/apis/external.metrics.k8s.io/v1beta1/namespaces/speech/queue_backlog?labelSelector=queue%3Dstt-queue');
    expect(ext.items.map((i) => [i.metricLabels, i.value])).to.deep.equal([[{ queue: 'stt-queue', tier: 'gold' }, '42']]);
    const disc = await getRaw<{ resources: { name: string }[] }>(adapter.kubeconfig, '/apis/custom.metrics.k8s.io/v1beta1');
    expect(disc.resources.map((r) => r.name)).to.include('pods/http_request_latency_p99_seconds');
  });

  it('Prometheus down: 503 naming it; back up: values return without restarting the adapter', async () => {
    await prom.stop();
    await eventually(async () => {
      const r = await kubectl(adapter.kubeconfig, ['get', '--raw', '/apis/custom.metrics.k8s.io/v1beta2/namespaces/media/pods/*/storage_iops']);
      expect(r.stderr).to.match(/ServiceUnavailable.*prometheus:http:\/\/127\.0\.0\.1/);
    }, 5_000);
    await prom.start();
    await eventually(async () => expect(await podValue('media', 'storage_iops', INGEST)).to.be.closeTo(630, 630 * 0.05), 30_000, 500);
  });
});
