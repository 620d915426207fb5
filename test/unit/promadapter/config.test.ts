import { expect } from 'chai';
import { parse } from 'yaml';
import { AdapterConfigError, compileAdapterConfig, parseAdapterConfig } from '../../../src/promadapter/index.js';

/** metrics-api-spec.md §9.5, verbatim. */
const CANONICAL = `
rules:
- seriesQuery: 'DCGM_FI_DEV_GPU_UTIL{namespace!="",pod!=""}'
  resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}
  name: {matches: "^DCGM_FI_DEV_GPU_UTIL$", as: "nvidia_gpu_duty_cycle"}
  metricsQuery: 'avg(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
externalRules:
- seriesQuery: '{__name__="bullmq_queue_depth",queue!=""}'
  resources: {namespaced: false}
  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (queue)'
`;

/** prometheus-adapter's docs/sample-config.yaml style, with filters and a template. */
const SAMPLE = `
rules:
- seriesQuery: '{__name__=~"^container_.*",container!="POD",namespace!="",pod!=""}'
  seriesFilters:
  - isNot: "^container_.*_seconds_total$"
  resources:
    overrides:
      namespace: {resource: "namespace"}
      pod: {resource: "pod"}
  name:
    matches: "^container_(.*)_total$"
  metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>,container!="POD"}[5m])) by (<<.GroupBy>>)'
- seriesQuery: '{namespace!="",__name__!~"^container_.*"}'
  resources:
    template: "<<.Resource>>"
  name:
    matches: "^(.*)_total$"
    as: "\${1}_per_second"
  metricsQuery: |
    sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (
      <<- range $i, $v := .GroupBySlice ->>
        <<- if $i>>,<<end>><<$v>>
      <<- end ->>
    )
resourceRules:
  cpu:
    containerQuery: sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>}[3m])) by (<<.GroupBy>>)
    nodeQuery: sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>, id='/'}[3m])) by (<<.GroupBy>>)
    resources:
      overrides:
        node: {resource: node}
    containerLabel: container
  window: 3m
`;

const load = (text: string) => parseAdapterConfig(parse(text), 'adapter.yaml');

describe('prometheus-adapter config', () => {
  it('loads the canonical examples unchanged, without issues', () => {
    const c = compileAdapterConfig(load(CANONICAL), 'adapter.yaml', true);
    expect(c.rules.map((r) => [r.id, r.api, r.namespaced, r.namespaceLabel])).to.deep.equal([
      ['rules[0]', 'custom', false, 'namespace'],
      ['externalRules[0]', 'external', false, undefined],
    ]);
    expect(c.issues).to.deep.equal([]);
  });

  it('loads a sample config; resourceRules are reported, never silently dropped', () => {
    const c = compileAdapterConfig(load(SAMPLE), 'adapter.yaml', false);
    expect(c.rules).to.have.length(2);
    expect(c.issues.map((i) => [i.rule, i.feature, i.effect])).to.deep.equal([['resourceRules', 'resourceRules (metrics.k8s.io)', 'ignored']]);
    expect(() => compileAdapterConfig(load(SAMPLE), 'adapter.yaml', true)).to.throw(AdapterConfigError, /adapter.yaml: resourceRules: resourceRules/);
  });

  it('parses strictly: errors name the path', () => {
    const cases: [string, RegExp][] = [
      ['rules: [{seriesQuery: x, metricsQuery: y, metricQuery: z}]', /adapter\.yaml: rules\[0\]: Unrecognized key: "metricQuery"/],
      ['rules: [{seriesQuery: x}]', /adapter\.yaml: rules\[0\]\.metricsQuery: /],
      ['externalRules: [{seriesQuery: x, metricsQuery: y, seriesFilters: [{is: a, isNot: b}]}]', /externalRules\[0\]\.seriesFilters\[0\]: set exactly one of "is" and "isNot"/],
      ['rules: [{seriesQuery: x, metricsQuery: y, resources: {overrides: {pod: {resourse: pod}}}}]', /rules\[0\]\.resources\.overrides\.pod: Unrecognized key: "resourse"/],
      ['rules: [{seriesQuery: x, metricsQuery: y, name: {matches: a, ass: b}}]', /rules\[0\]\.name: Unrecognized key: "ass"/],
      ['rulez: []', /\(top level\): Unrecognized key: "rulez"/],
      ['rules: {default: true, custom: []}', /Helm chart's values layout/],
    ];
    for (const [text, want] of cases) expect(() => load(text), text).to.throw(AdapterConfigError, want);
  });

  it('config errors prometheus-adapter refuses too name the rule', () => {
    const bad = (rule: string) => () => compileAdapterConfig(load(`rules: [${rule}]`), 'a.yaml', false);
    expect(bad('{seriesQuery: x, metricsQuery: "<<.Series", name: {matches: "^x$"}}')).to.throw(/a\.yaml: rules\[0\]: unclosed action/);
    expect(bad('{seriesQuery: x, metricsQuery: y, name: {matches: "^(a)(b)$"}}')).to.throw(/a\.yaml: rules\[0\]: .*2 capture groups/);
    expect(bad('{seriesQuery: x, metricsQuery: y, seriesFilters: [{is: "(x"}]}')).to.throw(/a\.yaml: rules\[0\]: invalid regex/);
  });

  it('reports unsupported features by rule; strict mode makes them fatal', () => {
    const text = `
rules:
- seriesQuery: 'a'
  metricsQuery: '<<.Series | toUpper>>'
- seriesQuery: 'b'
  name: {matches: "^b(?=c)"}
  metricsQuery: '<<.Series>>'
- seriesQuery: 'c'
  metricsQuery: 'x{namespace="<<index .LabelValuesByName "namespace">>"}'
- seriesQuery: 'd'
  resources: {overrides: {widget: {group: example.com, resource: widgets}}}
  metricsQuery: '<<.Series>>'
externalRules:
- seriesQuery: 'e'
  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})'
`;
    const c = compileAdapterConfig(load(text), 'a.yaml', false);
    expect(c.issues.map((i) => [i.rule, i.feature, i.effect])).to.deep.equal([
      ['rules[0]', 'template function "toUpper"', 'rule skipped'],
      ['rules[1]', 'lookaround in regex', 'rule skipped'],
      ['rules[2]', '.LabelValuesByName in a custom rule', 'rule skipped'],
      ['rules[3]', 'resource override', 'ignored'],
      ['externalRules[0]', 'namespaced external rule without a namespace label', 'differs'],
    ]);
    expect(c.rules.map((r) => r.id)).to.deep.equal(['rules[3]', 'externalRules[0]']);
    expect(() => compileAdapterConfig(load(text), 'a.yaml', true)).to.throw(AdapterConfigError, /strict mode[\s\S]*rules\[0\]: template function "toUpper"[\s\S]*externalRules\[0\]/);
  });
});
