import { expect } from 'chai';
import { PrometheusSource, toPoints } from '../../src/sources/prometheus.js';
import { parseQueryResponse } from '../../src/sources/prometheus-client.js';
import { durationSeconds, gpuQueries, storageQueries, type QuerySpec } from '../../src/sources/prometheus-queries.js';

const vector = (result: unknown[]): string => JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });

describe('prometheus queries', () => {
  it('rates each cAdvisor container series, then sums per pod, excluding pod-level and pause rows', () => {
    const [read, , , , iops] = storageQueries('2m', 120);
    expect(read?.query).to.equal(
      'sum by (namespace, pod) (rate(container_fs_reads_bytes_total{container!="", container!="POD", namespace!="", pod!=""}[2m]))',
    );
    expect(read?.windowSeconds).to.equal(120);
    expect(iops?.metric).to.equal('storage_iops');
    expect(iops?.query).to.match(/container_fs_reads_total.*\+ sum by \(namespace, pod\) \(rate\(container_fs_writes_total/);
  });

  it('uses the configured DCGM pod labels and never takes GPU_UTIL from MIG slices', () => {
    const [duty, mem, node] = gpuQueries('exported_pod', 'exported_namespace', '1m', 60);
    expect(duty?.query).to.equal(
      'avg by (exported_namespace, exported_pod) (((100 * avg_over_time(DCGM_FI_PROF_GR_ENGINE_ACTIVE{exported_namespace!="", exported_pod!=""}[1m]))' +
        ' or avg_over_time(DCGM_FI_DEV_GPU_UTIL{exported_namespace!="", exported_pod!="", GPU_I_ID=""}[1m])) >= 0 <= 100)',
    );
    expect(duty?.target).to.deep.equal({ kind: 'pods', namespaceLabel: 'exported_namespace', podLabel: 'exported_pod' });
    expect(mem?.query).to.contain('max by (exported_namespace, exported_pod) (100 * DCGM_FI_DEV_FB_USED');
    expect(mem?.windowSeconds).to.equal(undefined);
    expect(node?.target).to.deep.equal({ kind: 'nodes', nodeLabel: 'node' });
    expect(node?.query).to.contain('"node", "$1", "hostname", "(.+)"');
  });

  it('parses PromQL durations', () => {
    expect(durationSeconds('2m')).to.equal(120);
    expect(durationSeconds('1m30s')).to.equal(90);
    expect(durationSeconds('500ms')).to.equal(0.5);
    expect(durationSeconds('1h')).to.equal(3600);
    for (const bad of ['', '2', 'm', '2 m', '1s1m', '0s']) expect(durationSeconds(bad), bad).to.equal(undefined);
  });
});

describe('parseQueryResponse', () => {
  it('reads a vector with its evaluation time, dropping __name__', () => {
    const r = parseQueryResponse(200, vector([{ metric: { __name__: 'x', pod: 'a' }, value: [1754312405.123, '84.5'] }]));
    expect(r.samples).to.deep.equal([{ labels: { pod: 'a' }, value: 84.5, timestampMs: 1754312405123 }]);
  });

  it('reads a scalar as one unlabelled sample and the special values', () => {
    const scalar = JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '3'] } });
    expect(parseQueryResponse(200, scalar).samples).to.deep.equal([{ labels: {}, value: 3, timestampMs: 1000 }]);
    const specials = parseQueryResponse(200, vector(['NaN', '+Inf', '-Inf'].map((v) => ({ metric: {}, value: [1, v] }))));
    expect(specials.samples.map((s) => s.value)).to.deep.equal([NaN, Infinity, -Infinity]);
  });

  it('passes warnings and infos on', () => {
    const body = JSON.stringify({ status: 'success', warnings: ['w'], infos: ['i'], data: { resultType: 'vector', result: [] } });
    expect(parseQueryResponse(200, body)).to.deep.equal({ samples: [], warnings: ['w', 'i'] });
  });

  it('names the HTTP status, errorType and error', () => {
    const body = JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error: unexpected "}"' });
    expect(() => parseQueryResponse(400, body)).to.throw('HTTP 400 bad_data: parse error: unexpected "}"');
  });

  it('shows the start of a non-JSON answer from a proxy', () => {
    expect(() => parseQueryResponse(502, '<html>Bad Gateway</html>')).to.throw('HTTP 502: <html>Bad Gateway</html>');
    expect(() => parseQueryResponse(401, '')).to.throw('HTTP 401: empty response');
  });

  it('rejects matrix results', () => {
    const body = JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } });
    expect(() => parseQueryResponse(200, body)).to.throw(/unsupported result type "matrix"/);
  });
});

describe('toPoints', () => {
  const sample = (labels: Record<string, string>, value = 1) => ({ labels, value, timestampMs: 5 });

  it('emits built-in pod metrics with empty labels and the window', () => {
    const spec: QuerySpec = {
      metric: 'storage_iops',
      query: '',
      target: { kind: 'pods', namespaceLabel: 'namespace', podLabel: 'pod' },
      keepLabels: false,
      windowSeconds: 120,
    };
    expect(toPoints(spec, [sample({ namespace: 'a', pod: 'p' }, 7), sample({ pod: 'no-ns' }), sample({ namespace: 'a', pod: 'q' }, NaN)])).to.deep.equal([
      { metric: 'storage_iops', target: { kind: 'object', resource: 'pods', namespace: 'a', name: 'p' }, labels: {}, value: 7, timestampMs: 5, windowSeconds: 120 },
    ]);
  });

  it('keeps the remaining labels for user rules; object rules may be cluster-scoped', () => {
    const spec: QuerySpec = {
      metric: 'm',
      query: '',
      target: { kind: 'object', resource: 'deployments.apps', namespaceLabel: 'namespace', objectLabel: 'deployment' },
      keepLabels: true,
    };
    const [namespaced, clusterScoped] = toPoints(spec, [
      sample({ namespace: 'a', deployment: 'd', code: '500' }),
      sample({ deployment: 'e' }),
    ]);
    expect(namespaced?.target).to.deep.equal({ kind: 'object', resource: 'deployments.apps', namespace: 'a', name: 'd' });
    expect(namespaced?.labels).to.deep.equal({ code: '500' });
    expect(namespaced).to.not.have.property('windowSeconds');
    expect(clusterScoped?.target).to.deep.equal({ kind: 'object', resource: 'deployments.apps', name: 'e' });
  });

  it('gives external points every label of the sample', () => {
    const spec: QuerySpec = { metric: 'q', query: '', target: { kind: 'external' }, keepLabels: true };
    expect(toPoints(spec, [sample({ queue: 'stt', namespace: 'x' })])[0]?.labels).to.deep.equal({ queue: 'stt', namespace: 'x' });
  });
});

describe('PrometheusSource construction', () => {
  it('lists the storage metrics, GPU metrics when asked, and rule names', () => {
    const s = new PrometheusSource({
      url: 'http://p:9090',
      gpuFromPrometheus: true,
      rules: [{ name: 'latency_p99', kind: 'pods', query: 'x' }],
    });
    expect(s.id).to.equal('prometheus:http://p:9090');
    expect(s.metrics).to.deep.equal([
      'storage_read_bytes_per_second',
      'storage_write_bytes_per_second',
      'storage_read_iops',
      'storage_write_iops',
      'storage_iops',
      'nvidia_gpu_duty_cycle',
      'gpu_memory_utilization',
      'latency_p99',
    ]);
  });

  it('rejects a bad window, bad label names and incomplete object rules', () => {
    expect(() => new PrometheusSource({ url: 'u', rateWindow: '2 minutes' })).to.throw(/rateWindow "2 minutes"/);
    expect(() => new PrometheusSource({ url: 'u', gpuFromPrometheus: true, podLabel: 'a-b' })).to.throw(/podLabel "a-b"/);
    expect(() => new PrometheusSource({ url: 'u', rules: [{ name: 'r', kind: 'object', query: 'x' }] })).to.throw(
      /rule r: object rules need "resource" and "objectLabel"/,
    );
  });
});
