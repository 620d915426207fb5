import { expect } from 'chai';
import { DcgmWindow, dcgmNodeSamples } from '../../../../src/nodescaler/cluster/dcgm-window.js';
import { Catalog, MetricStore, builtinCatalog, type MetricPoint } from '../../../../src/store/index.js';

const S = 1000;
const T0 = Date.parse('2026-03-02T12:00:00Z');
const one = (node: string, value: number, at: number) => new Map([[node, { value, at }]]);

describe('node-scaler cluster: DcgmWindow', () => {
  it('reads the mean of the samples in the window and the newest sample’s age', () => {
    const w = new DcgmWindow({ windowSeconds: 600, maxAgeSeconds: 30 });
    w.record(T0, one('n1', 0.2, T0));
    w.record(T0 + 10 * S, one('n1', 0.4, T0 + 10 * S));
    w.record(T0 + 20 * S, one('n1', 0.9, T0 + 18 * S));
    const r = w.read('n1', T0 + 20 * S);
    expect(r?.util).to.be.closeTo(0.5, 1e-9);
    expect(r?.ageSeconds).to.equal(2);
  });

  it('is unknown (undefined), never 0, without samples or when the newest is too old', () => {
    const w = new DcgmWindow({ windowSeconds: 600, maxAgeSeconds: 30 });
    expect(w.read('n1', T0)).to.equal(undefined);
    w.record(T0, one('n1', 0.1, T0));
    expect(w.read('n1', T0 + 30 * S)?.util).to.be.closeTo(0.1, 1e-9);
    expect(w.read('n1', T0 + 31 * S)).to.equal(undefined);
  });

  it('drops samples that left the window, and nodes left without any', () => {
    const w = new DcgmWindow({ windowSeconds: 60, maxAgeSeconds: 30 });
    w.record(T0, one('gone', 1, T0));
    w.record(T0, one('n1', 1, T0));
    w.record(T0 + 70 * S, one('n1', 0, T0 + 70 * S));
    expect(w.read('n1', T0 + 70 * S)?.util).to.equal(0);
    expect(w.read('gone', T0 + 70 * S)).to.equal(undefined);
  });

  it('counts a sample reported twice (same time) once, and keeps late samples in order', () => {
    const w = new DcgmWindow({ windowSeconds: 600, maxAgeSeconds: 30 });
    w.record(T0, one('n1', 1, T0));
    w.record(T0 + S, one('n1', 1, T0));
    w.record(T0 + 2 * S, one('n1', 0, T0 + 2 * S));
    w.record(T0 + 3 * S, one('n1', 0.5, T0 + S));
    const r = w.read('n1', T0 + 3 * S);
    expect(r?.util).to.be.closeTo(0.5, 1e-9);
    expect(r?.ageSeconds).to.equal(1);
  });

  it('ignores non-finite samples', () => {
    const w = new DcgmWindow({ windowSeconds: 600, maxAgeSeconds: 30 });
    w.record(T0, one('n1', Number.NaN, T0));
    expect(w.read('n1', T0)).to.equal(undefined);
  });
});

describe('node-scaler cluster: dcgmNodeSamples', () => {
  const nodePoint = (node: string, value: number, ts: number, uuid: string): MetricPoint => ({
    metric: 'nvidia_gpu_duty_cycle', target: { kind: 'object', resource: 'nodes', name: node }, labels: { UUID: uuid }, value, timestampMs: ts,
  });
  const podPoint: MetricPoint = { metric: 'nvidia_gpu_duty_cycle', target: { kind: 'object', resource: 'pods', namespace: 'ml', name: 'p' }, labels: {}, value: 99, timestampMs: T0 };

  it('reads each node’s mean over its GPUs as a fraction, with its oldest GPU’s time', () => {
    let now = T0;
    const store = new MetricStore(new Catalog(builtinCatalog()), () => now);
    store.registerSource('dcgm:a', ['nvidia_gpu_duty_cycle']);
    store.replace('dcgm:a', [nodePoint('n1', 100, T0 - 2 * S, 'g0'), nodePoint('n1', 0, T0 - S, 'g1'), nodePoint('n2', 30, T0, 'g0'), podPoint], T0);
    expect([...dcgmNodeSamples(store)]).to.deep.equal([['n1', { value: 0.5, at: T0 - 2 * S }], ['n2', { value: 0.3, at: T0 }]]);
    now = T0 + 5 * S;
    store.fail('dcgm:a', 'connection refused', now);
    // A failing source is unknown: nothing is reported, so the window ages the nodes out.
    expect(dcgmNodeSamples(store).size).to.equal(0);
  });

  it('is empty without a DCGM source', () => {
    expect(dcgmNodeSamples(new MetricStore(new Catalog(builtinCatalog()))).size).to.equal(0);
  });
});
