import { expect } from 'chai';
import { parse } from 'yaml';
import { compileAdapterConfig, discover, parseAdapterConfig, samplesToPoints, type QueryPlan } from '../../../src/promadapter/index.js';

const CONFIG = `
rules:
- seriesQuery: 'http_requests_total{namespace!="",pod!=""}'
  resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}
  name: {matches: "^(.*)_total$", as: "\${1}_per_second"}
  metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)'
- seriesQuery: '{__name__=~"^node_.*"}'
  seriesFilters: [{isNot: "_seconds$"}]
  resources: {template: "<<.Resource>>"}
  metricsQuery: 'max(<<.Series>>{<<.LabelMatchers>>}) by (<<range $i, $v := .GroupBySlice>><<if $i>>,<<end>><<$v>><<end>>)'
externalRules:
- seriesQuery: 'redis_queue_depth'
  name: {matches: "^redis_(.*)$"}
  resources: {namespaced: false}
  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (queue_name, queue_type)'
- seriesQuery: 'jobs_pending{namespace!=""}'
  resources: {overrides: {namespace: {resource: namespace}}}
  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (queue)'
`;

const series = new Map<string, Record<string, string>[]>([
  ['http_requests_total{namespace!="",pod!=""}', [
    { __name__: 'http_requests_total', namespace: 'ml', pod: 'a', job: 'app' },
    { __name__: 'http_requests_total', namespace: 'web', pod: 'b', job: 'app' },
  ]],
  ['{__name__=~"^node_.*"}', [
    { __name__: 'node_load1', node: 'n1', instance: 'x' },
    { __name__: 'node_boot_seconds', node: 'n1' },
  ]],
  ['redis_queue_depth', [{ __name__: 'redis_queue_depth', queue_name: 'emails', queue_type: 'waiting' }]],
  ['jobs_pending{namespace!=""}', [
    { __name__: 'jobs_pending', namespace: 'web', queue: 'q1' },
    { __name__: 'jobs_pending', namespace: 'ml', queue: 'q2' },
  ]],
]);

describe('prometheus-adapter discovery and polling queries', () => {
  const { rules } = compileAdapterConfig(parseAdapterConfig(parse(CONFIG), 'c.yaml'), 'c.yaml', false);
  const d = discover(rules, series, 60_000);
  const byMetric = (m: string) => d.plans.filter((p) => p.metric === m);

  it('registers (resource, metric) per resource label and external names, applying filters and naming', () => {
    expect(d.defs.map((x) => [x.api, x.name, x.api === 'custom' ? x.resources : x.namespaced ?? false])).to.deep.equal([
      ['custom', 'http_requests_per_second', ['namespaces', 'pods']],
      ['custom', 'node_load1', ['nodes']],
      ['external', 'queue_depth', false],
      ['external', 'jobs_pending', true],
    ]);
    expect(d.problems).to.deep.equal([]);
  });

  it('renders one query per rule and resource, without object names: namespace kept in GroupBy', () => {
    expect(byMetric('http_requests_per_second').map((p) => p.query)).to.deep.equal([
      'sum(rate(http_requests_total{namespace!=""}[2m])) by (namespace)',
      'sum(rate(http_requests_total{namespace!="",pod!=""}[2m])) by (namespace,pod)',
    ]);
    expect(byMetric('node_load1').map((p) => p.query)).to.deep.equal(['max(node_load1{node!=""}) by (node)']);
    expect(byMetric('queue_depth').map((p) => p.query)).to.deep.equal(['sum(redis_queue_depth{}) by (queue_name, queue_type)']);
  });

  it('namespaced external rules: one query per namespace seen in discovery', () => {
    expect(byMetric('jobs_pending').map((p) => [p.query, p.target])).to.deep.equal([
      ['sum(jobs_pending{namespace="ml"}) by (queue)', { kind: 'external', namespace: 'ml' }],
      ['sum(jobs_pending{namespace="web"}) by (queue)', { kind: 'external', namespace: 'web' }],
    ]);
  });

  it('maps samples to objects by the resource and namespace labels; NaN is dropped and reported', () => {
    const pods = byMetric('http_requests_per_second')[1] as QueryPlan;
    const s = (labels: Record<string, string>, value: number) => ({ labels, value, timestampMs: 1000 });
    const m = samplesToPoints(pods, [s({ namespace: 'ml', pod: 'a' }, 2.5), s({ namespace: 'web', pod: 'b', extra: 'x' }, NaN), s({ pod: 'c' }, 1)]);
    expect(m.points).to.deep.equal([
      { metric: 'http_requests_per_second', target: { kind: 'object', resource: 'pods', namespace: 'ml', name: 'a' }, labels: {}, value: 2.5, timestampMs: 1000 },
    ]);
    expect(m.problem).to.match(/without label "namespace" were dropped.*1 NaN\/Inf/);
    const ext = samplesToPoints(byMetric('jobs_pending')[0] as QueryPlan, [s({ queue: 'q2' }, 3)]);
    expect(ext.points[0]?.target).to.deep.equal({ kind: 'external', namespace: 'ml' });
    expect(ext.points[0]?.labels).to.deep.equal({ queue: 'q2' });
  });

  it('reports namespaced resources without a namespace mapping, and series without resource labels', () => {
    const text = `rules: [{seriesQuery: x, resources: {overrides: {pod: {resource: pod}}}, metricsQuery: '<<.Series>>'}, {seriesQuery: y, metricsQuery: '<<.Series>>'}]`;
    const c = compileAdapterConfig(parseAdapterConfig(parse(text), 'c.yaml'), 'c.yaml', false);
    const r = discover(c.rules, new Map([['x', [{ __name__: 'x', pod: 'p' }]], ['y', [{ __name__: 'y', pod: 'p' }]]]), 1);
    expect(r.defs).to.deep.equal([]);
    expect(r.problems.map((p) => p.rule)).to.deep.equal(['rules[1]', 'rules[0]']);
    expect(r.problems[1]?.message).to.match(/namespaced but no label maps to namespaces/);
  });
});
