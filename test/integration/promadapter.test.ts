/**
 * `--prometheus-adapter-config`: a prometheus-adapter rules file served by the adapter
 * process from a real Prometheus scraping fixture counters and gauges, read with kubectl;
 * unsupported features reported by rule at start-up, fatal with the strict flag.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixtureServer } from '../helpers/fixture-server.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';
import { startAdapter, eventually, type AdapterProcess } from '../helpers/adapter.js';
import { getRaw, kubectl } from '../helpers/kubectl.js';
import { parseQuantity } from '../../src/apiserver/index.js';

const STT = 'stt-worker-7d9f8c6b5-x2kqp';
const TTS = 'tts-worker-5c6b7f9d8-qm4lz';

/** The usual rate rule, with a 5s window instead of 2m: rate() over 2m of a seconds-old series is divided by 120s. */
const RULES = `
rules:
- seriesQuery: 'http_requests_total{namespace!="",pod!=""}'
  resources:
    overrides:
      namespace: {resource: "namespace"}
      pod: {resource: "pod"}
  name:
    matches: "^(.*)_total$"
    as: "\${1}_per_second"
  metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[5s])) by (<<.GroupBy>>)'
externalRules:
- seriesQuery: 'redis_queue_depth'
  resources: {namespaced: false}
  name: {matches: "^redis_(.*)$"}
  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (queue_name, queue_type)'
- seriesQuery: 'jobs_pending{namespace!=""}'
  resources:
    overrides:
      namespace: {resource: namespace}
  metricsQuery: |
    sum(<<.Series>>{<<.LabelMatchers>>}) by (
      <<- range $i, $v := list ->>
    )
`;

interface Item {
  describedObject?: { name: string; namespace?: string; kind: string };
  metricName?: string;
  metricLabels?: Record<string, string>;
  value: string;
}
interface List {
  kind: string;
  items: Item[];
}

describe('prometheus-adapter config served from a real Prometheus', function () {
  this.timeout(120_000);
  let fixture: FixtureServer;
  let prom: PrometheusServer;
  let dir: string;

  before(async () => {
    fixture = await FixtureServer.start();
    fixture.state.counters = [
      { name: 'http_requests_total', labels: { namespace: 'speech', pod: STT, code: '200' }, perSecond: 10 },
      { name: 'http_requests_total', labels: { namespace: 'speech', pod: TTS, code: '200' }, perSecond: 4 },
    ];
    fixture.state.gauges = [
      ...fixture.state.gauges,
      { name: 'redis_queue_depth', labels: { queue_name: 'emails', queue_type: 'waiting' }, value: 12 },
      { name: 'redis_queue_depth', labels: { queue_name: 'emails', queue_type: 'active' }, value: 3 },
      { name: 'redis_queue_depth', labels: { queue_name: 'reports', queue_type: 'waiting' }, value: 5 },
      { name: 'jobs_pending', labels: { namespace: 'ml', queue: 'train' }, value: 4 },
      { name: 'jobs_pending', labels: { namespace: 'web', queue: 'train' }, value: 9 },
    ];
    prom = await startPrometheus([{ job: 'app', url: fixture.url('/app') }]);
    dir = mkdtempSync(join(tmpdir(), 'ama-promadapter-'));
  });

  after(async () => {
    await prom?.cleanup();
    await fixture?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const rulesFile = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  const start = (file: string, extra: readonly string[] = []) =>
    startAdapter(
      { prometheus: { intervalSeconds: 1, timeoutSeconds: 2, adapter: { relistIntervalSeconds: 2 } }, bullmq: { urls: [] } },
      ['--prometheus-url', prom.url, '--prometheus-adapter-config', file, ...extra],
    );

  describe('a queue rule, the http_requests_per_second rate rule and a namespaced external rule', () => {
    let adapter: AdapterProcess;
    const raw = (path: string) => getRaw<List>(adapter.kubeconfig, path);

    before(async () => {
      // The third rule uses "list", outside the template subset: reported and skipped, the others load.
      adapter = await start(rulesFile('rules.yaml', RULES));
      await prom.waitFor('http_requests_total', (s) => s.length === 2);
    });

    after(async () => {
      await adapter?.stop();
    });

    it('reports the unsupported rule by name and feature at start-up', () => {
      const line = adapter.output().split('\n').find((l) => l.includes('externalRules[1]'));
      expect(line, adapter.output()).to.match(/unsupported: template function \\?"list\\?" \(rule skipped\)/);
      expect(line).to.contain('"seriesQuery":"jobs_pending{namespace!=\\"\\"}"');
    });

    it('serves the rate rule per pod, per pod by name, and per namespace', async () => {
      // rate() over a short window on a seconds-old Prometheus settles after a few scrapes.
      await eventually(async () => {
        const l = await raw('/apis/custom.metrics.k8s.io/v1beta2/namespaces/speech/pods/*/http_requests_per_second');
        expect(l.items).to.have.length(2);
        const byPod = Object.fromEntries(l.items.map((i) => [i.describedObject?.name, parseQuantity(i.value)]));
        expect(byPod[STT]).to.be.closeTo(10, 0.2);
        expect(byPod[TTS]).to.be.closeTo(4, 0.1);
      }, 30_000, 500);
      const one = await raw(`/apis/custom.metrics.k8s.io/v1beta1/namespaces/speech/pods/${TTS}/http_requests_per_second`);
      expect(one.items.map((i) => [i.describedObject?.name, i.metricName])).to.deep.equal([[TTS, 'http_requests_per_second']]);
      const ns = await raw('/apis/custom.metrics.k8s.io/v1beta2/namespaces/speech/metrics/http_requests_per_second');
      expect(ns.items[0]?.describedObject?.kind).to.equal('Namespace');
      expect(parseQuantity(ns.items[0]?.value ?? '')).to.be.closeTo(14, 0.3);
    });

    it('serves the queue rule as an external metric filtered by labelSelector on the kept labels', async () => {
      const emails = await eventually(async () => {
        const l = await raw('/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth?labelSelector=queue_name%3Demails');
        expect(l.items).to.have.length(2);
        return l;
      }, 20_000, 500);
      const byType = Object.fromEntries(emails.items.map((i) => [i.metricLabels?.queue_type, i.value]));
      expect(byType).to.deep.equal({ waiting: '12', active: '3' });
      const one = await raw('/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth?labelSelector=queue_name%3Dreports,queue_type%3Dwaiting');
      expect(one.items.map((i) => i.value)).to.deep.equal(['5']);
    });

    it('lists the discovered metrics in discovery after the relist', async () => {
      await eventually(async () => {
        const custom = await getRaw<{ resources: { name: string; namespaced: boolean }[] }>(adapter.kubeconfig, '/apis/custom.metrics.k8s.io/v1beta1');
        expect(custom.resources).to.deep.include({ name: 'pods/http_requests_per_second', singularName: '', namespaced: true, kind: 'MetricValueList', verbs: ['get'] });
        const external = await getRaw<{ resources: { name: string }[] }>(adapter.kubeconfig, '/apis/external.metrics.k8s.io/v1beta1');
        expect(external.resources.map((r) => r.name)).to.include.members(['redis_queue_depth', 'queue_depth']);
      }, 20_000, 500);
    });

    it('answers 404 for a metric no rule discovered, and for the skipped rule', async () => {
      for (const path of [
        '/apis/custom.metrics.k8s.io/v1beta2/namespaces/speech/pods/*/nope_per_second',
        '/apis/external.metrics.k8s.io/v1beta1/namespaces/ml/jobs_pending',
      ]) {
        const r = await kubectl(adapter.kubeconfig, ['get', '--raw', path]);
        expect(r.code, path).to.not.equal(0);
        expect(r.stderr, path).to.match(/NotFound|not found/i);
      }
    });
  });

  describe('a namespaced external rule', () => {
    let adapter: AdapterProcess;

    before(async () => {
      const text = `
externalRules:
- seriesQuery: 'jobs_pending{namespace!=""}'
  resources:
    overrides:
      namespace: {resource: namespace}
  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (queue)'
`;
      adapter = await start(rulesFile('namespaced.yaml', text), ['--prometheus-adapter-config-strict']);
    });

    after(async () => {
      await adapter?.stop();
    });

    it('answers each namespace with its own series, as the namespace matcher does in prometheus-adapter', async () => {
      const values = async (ns: string) =>
        (await getRaw<List>(adapter.kubeconfig, `/apis/external.metrics.k8s.io/v1beta1/namespaces/${ns}/jobs_pending`)).items.map(
          (i) => [i.metricLabels, i.value],
        );
      await eventually(async () => expect(await values('ml')).to.deep.equal([[{ queue: 'train' }, '4']]), 20_000, 500);
      expect(await values('web')).to.deep.equal([[{ queue: 'train' }, '9']]);
      expect(await values('default')).to.deep.equal([]);
    });
  });

  it('strict mode: an unsupported feature stops start-up, naming the rule and the feature', async () => {
    const file = rulesFile('strict.yaml', `
rules:
- seriesQuery: 'http_requests_total'
  name: {matches: "^http_(?!internal).*_total$", as: "requests"}
  resources: {template: "<<.Resource>>"}
  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
resourceRules:
  window: 3m
`);
    let err: unknown;
    try {
      const a = await start(file, ['--prometheus-adapter-config-strict']);
      await a.stop();
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/configuration error: unsupported prometheus-adapter features \(strict mode\)/);
    expect(String(err)).to.contain(`${file}: rules[0]: lookaround in regex`);
    expect(String(err)).to.contain(`${file}: resourceRules: resourceRules (metrics.k8s.io)`);
  });

  it('a file that is not a prometheus-adapter config is a configuration error naming the path', async () => {
    const file = rulesFile('typo.yaml', `rules:\n- seriesQuery: x\n  metricsQuery: y\n  seriesFilter: []\n`);
    let err: unknown;
    try {
      const a = await start(file);
      await a.stop();
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.contain(`configuration error: ${file}: rules[0]: Unrecognized key: "seriesFilter"`);
  });
});
