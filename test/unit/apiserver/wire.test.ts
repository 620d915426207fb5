import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseSelector, everything } from '../../../src/apiserver/selector.js';
import {
  formatTimestamp,
  labelSelectorOf,
  renderApiGroup,
  renderApiGroupList,
  renderApiResourceList,
  renderCustomList,
  renderExternalList,
  renderStatus,
} from '../../../src/apiserver/wire.js';
import type { ExternalMetricValue, MetricValue } from '../../../src/provider/types.js';
import type { Labels, Selector } from '../../../src/util/labels.js';

const NOON = Date.UTC(2025, 4, 1, 12, 0, 0);

function golden(name: string): string {
  return readFileSync(new URL(`../../fixtures/golden/${name}`, import.meta.url), 'utf8').trimEnd();
}

const pod = (name: string) => ({ kind: 'Pod', apiVersion: 'v1', namespace: 'ml', name });

const POD_ITEMS: MetricValue[] = [
  { describedObject: pod('trainer-7d9f-abcde'), metric: 'nvidia_gpu_duty_cycle', timestampMs: NOON + 999, windowSeconds: 60, value: 73.25 },
  { describedObject: pod('trainer-7d9f-fghij'), metric: 'nvidia_gpu_duty_cycle', timestampMs: NOON + 5000, value: 0.0005 },
  // Never on the wire: HPA treats the pod as missing.
  { describedObject: pod('trainer-7d9f-nan'), metric: 'nvidia_gpu_duty_cycle', timestampMs: NOON, value: NaN },
];

const NODE_ITEMS: MetricValue[] = [
  { describedObject: { kind: 'Node', apiVersion: 'v1', name: 'gpu-node-1' }, metric: 'nvidia_gpu_duty_cycle', timestampMs: NOON, value: 2000 },
];

const EXTERNAL_ITEMS: ExternalMetricValue[] = [
  { metric: 'redis_queue_depth', labels: { queue_type: 'total', queue_name: 'emails', prefix: 'bull' }, timestampMs: NOON, value: 1234 },
  { metric: 'redis_queue_depth', labels: {}, timestampMs: NOON + 59_999, windowSeconds: 30, value: 1.5 },
];

const METRIC_SELECTOR = parseSelector('model=h100,gpu in (1,0)');

describe('wire renderers (golden)', () => {
  it('v1beta1 MetricValueList with a metric selector', () => {
    expect(JSON.stringify(renderCustomList('v1beta1', POD_ITEMS, METRIC_SELECTOR))).to.equal(golden('custom-v1beta1-pods.json'));
  });

  it('v1beta2 MetricValueList with a metric selector', () => {
    expect(JSON.stringify(renderCustomList('v1beta2', POD_ITEMS, METRIC_SELECTOR))).to.equal(golden('custom-v1beta2-pods.json'));
  });

  it('v1beta1 cluster-scoped object, no selector (selector: null, no namespace, no window)', () => {
    expect(JSON.stringify(renderCustomList('v1beta1', NODE_ITEMS, everything))).to.equal(golden('custom-v1beta1-node.json'));
  });

  it('v1beta2 cluster-scoped object, no selector (metric.selector: null)', () => {
    expect(JSON.stringify(renderCustomList('v1beta2', NODE_ITEMS, everything))).to.equal(golden('custom-v1beta2-node.json'));
  });

  it('ExternalMetricValueList (labels sorted, {} when none, window only when set)', () => {
    expect(JSON.stringify(renderExternalList(EXTERNAL_ITEMS))).to.equal(golden('external-v1beta1.json'));
  });
});

describe('wire renderers', () => {
  it('renders an empty list with items: []', () => {
    expect(JSON.stringify(renderCustomList('v1beta2', [], everything))).to.equal(
      '{"kind":"MetricValueList","apiVersion":"custom.metrics.k8s.io/v1beta2","metadata":{},"items":[]}',
    );
    expect(JSON.stringify(renderExternalList([]))).to.equal(
      '{"kind":"ExternalMetricValueList","apiVersion":"external.metrics.k8s.io/v1beta1","metadata":{},"items":[]}',
    );
  });

  it('drops non-finite custom values', () => {
    const items = [NaN, Infinity, -Infinity, 1].map((value, i) => ({ ...POD_ITEMS[1]!, describedObject: pod(`p${i}`), value }));
    const list = renderCustomList('v1beta1', items, everything);
    expect(list.items.map((i) => i.describedObject.name)).to.deep.equal(['p3']);
  });

  it('refuses a non-finite external value instead of under-reporting the sum', () => {
    expect(() => renderExternalList([{ ...EXTERNAL_ITEMS[0]!, value: NaN }])).to.throw(RangeError);
  });

  it('keeps a describedObject apiVersion for grouped kinds', () => {
    const item: MetricValue = {
      describedObject: { kind: 'Deployment', apiVersion: 'apps/v1', namespace: 'ml', name: 'web' },
      metric: 'qps',
      timestampMs: NOON,
      value: 12,
    };
    expect(renderCustomList('v1beta2', [item], everything).items[0]?.describedObject).to.deep.equal({
      kind: 'Deployment',
      namespace: 'ml',
      name: 'web',
      apiVersion: 'apps/v1',
    });
  });

  it('echoes a selector that is not a ParsedSelector through its string form', () => {
    const foreign: Selector = { matches: () => true, isEmpty: () => false, mentions: () => true, toString: () => 'a=b' };
    expect(labelSelectorOf(foreign)).to.deep.equal({ matchLabels: { a: 'b' } });
    const broken: Selector = { ...foreign, toString: () => '((' };
    expect(labelSelectorOf(broken)).to.equal(null);
    const empty: Selector = { ...foreign, isEmpty: () => true, matches: (_l: Labels) => true };
    expect(labelSelectorOf(empty)).to.equal(null);
  });

  describe('formatTimestamp', () => {
    const cases: [number, string][] = [
      [NOON, '2025-05-01T12:00:00Z'],
      [NOON + 999, '2025-05-01T12:00:00Z'],
      [NOON - 1, '2025-05-01T11:59:59Z'],
      [0, '1970-01-01T00:00:00Z'],
    ];
    for (const [ms, expected] of cases) {
      it(`${ms} → ${expected}`, () => expect(formatTimestamp(ms)).to.equal(expected));
    }
  });

  it('renders a Status with Go field order, omitting empty fields', () => {
    expect(JSON.stringify(renderStatus(404, 'NotFound', 'the server could not find the metric m for pods'))).to.equal(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the metric m for pods","reason":"NotFound","code":404}',
    );
    expect(JSON.stringify(renderStatus(500, 'InternalError', 'boom', { causes: [{ message: 'boom' }] }))).to.equal(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500}',
    );
    expect(renderStatus(200, '', '')).to.deep.equal({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 });
  });

  it('renders an APIResourceList like the spec example', () => {
    const list = renderApiResourceList('custom.metrics.k8s.io/v1beta2', [
      { name: 'pods/nvidia_gpu_duty_cycle', namespaced: true, kind: 'MetricValueList' },
      { name: 'namespaces/nvidia_gpu_duty_cycle', namespaced: false, kind: 'MetricValueList' },
    ]);
    expect(JSON.stringify(list)).to.equal(
      '{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"custom.metrics.k8s.io/v1beta2","resources":[' +
        '{"name":"pods/nvidia_gpu_duty_cycle","singularName":"","namespaced":true,"kind":"MetricValueList","verbs":["get"]},' +
        '{"name":"namespaces/nvidia_gpu_duty_cycle","singularName":"","namespaced":false,"kind":"MetricValueList","verbs":["get"]}]}',
    );
  });

  it('renders an APIGroup and an APIGroupList like the spec examples', () => {
    expect(JSON.stringify(renderApiGroup('custom.metrics.k8s.io', ['v1beta2', 'v1beta1']))).to.equal(
      '{"kind":"APIGroup","apiVersion":"v1","name":"custom.metrics.k8s.io","versions":[' +
        '{"groupVersion":"custom.metrics.k8s.io/v1beta2","version":"v1beta2"},' +
        '{"groupVersion":"custom.metrics.k8s.io/v1beta1","version":"v1beta1"}],' +
        '"preferredVersion":{"groupVersion":"custom.metrics.k8s.io/v1beta2","version":"v1beta2"}}',
    );
    const list = renderApiGroupList([
      { name: 'custom.metrics.k8s.io', versions: ['v1beta2', 'v1beta1'] },
      { name: 'external.metrics.k8s.io', versions: ['v1beta1'] },
    ]);
    expect(JSON.stringify(list)).to.equal(
      '{"kind":"APIGroupList","apiVersion":"v1","groups":[' +
        '{"name":"custom.metrics.k8s.io","versions":[{"groupVersion":"custom.metrics.k8s.io/v1beta2","version":"v1beta2"},' +
        '{"groupVersion":"custom.metrics.k8s.io/v1beta1","version":"v1beta1"}],' +
        '"preferredVersion":{"groupVersion":"custom.metrics.k8s.io/v1beta2","version":"v1beta2"}},' +
        '{"name":"external.metrics.k8s.io","versions":[{"groupVersion":"external.metrics.k8s.io/v1beta1","version":"v1beta1"}],' +
        '"preferredVersion":{"groupVersion":"external.metrics.k8s.io/v1beta1","version":"v1beta1"}}]}',
    );
  });

  it('refuses a group without versions', () => {
    expect(() => renderApiGroup('x', [])).to.throw(/no versions/);
  });
});
