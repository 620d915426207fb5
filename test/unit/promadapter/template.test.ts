import { expect } from 'chai';
import { Template, TemplateSyntaxError, UnsupportedFeature } from '../../../src/promadapter/index.js';

const data = {
  Series: 'http_requests_total',
  LabelMatchers: 'namespace="ml",pod=~"a|b"',
  LabelValuesByName: new Map([['namespace', 'ml'], ['pod', 'a|b']]),
  GroupBy: 'pod',
  GroupBySlice: ['namespace', 'pod'],
};
const render = (src: string, d: Record<string, unknown> = data) => new Template(src).render(d as never);

describe('prometheus-adapter template engine', () => {
  it('renders the fields every config uses', () => {
    expect(render('sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)')).to.equal(
      'sum(rate(http_requests_total{namespace="ml",pod=~"a|b"}[2m])) by (pod)',
    );
  });

  it('index on the label-values map, missing keys give the zero value', () => {
    expect(render('x{namespace="<<index .LabelValuesByName "namespace">>"}')).to.equal('x{namespace="ml"}');
    expect(render('[<<index .LabelValuesByName "nope">>]')).to.equal('[]');
    expect(render('<<index .GroupBySlice 1>>')).to.equal('pod');
    expect(() => render('<<index .GroupBySlice 5>>')).to.throw(/out of range/);
  });

  it('range with $i, $v and if: the comma-join idiom', () => {
    expect(render('by (<<range $i, $v := .GroupBySlice>><<if $i>>,<<end>><<$v>><<end>>)')).to.equal('by (namespace,pod)');
    expect(render('<<range .GroupBySlice>>[<<.>>]<<end>>')).to.equal('[namespace][pod]');
    expect(render('<<range $v := .GroupBySlice>><<$v>>;<<end>>')).to.equal('namespace;pod;');
    expect(render('<<range .LabelValuesByName>><<.>>,<<end>>')).to.equal('ml,a|b,');
    expect(render('<<range .GroupBySlice>>x<<else>>empty<<end>>', { ...data, GroupBySlice: [] })).to.equal('empty');
  });

  it('trim markers remove the whitespace next to them', () => {
    expect(render('sum(\n  <<- .Series ->>\n  )')).to.equal('sum(http_requests_total)');
    expect(render('a  <<- /* comment */ ->>  b')).to.equal('ab');
    expect(render('<<-3>>')).to.equal('-3');
  });

  it('if / else if / else, with, variables, comparisons and printf', () => {
    const t = '<<if eq .GroupBy "node">>N<<else if eq .GroupBy "pod">>P<<else>>O<<end>>';
    expect(render(t)).to.equal('P');
    expect(render(t, { ...data, GroupBy: 'node' })).to.equal('N');
    expect(render(t, { ...data, GroupBy: 'svc' })).to.equal('O');
    expect(render('<<with .GroupBy>>by (<<.>>)<<else>>none<<end>>', { ...data, GroupBy: '' })).to.equal('none');
    expect(render('<<$s := .Series>><<$s>>:<<len .GroupBySlice>>')).to.equal('http_requests_total:2');
    expect(render('<<printf "%s{%s}" .Series .LabelMatchers>>')).to.equal('http_requests_total{namespace="ml",pod=~"a|b"}');
    expect(render('<<printf "%q" .GroupBy>>')).to.equal('"pod"');
    expect(render('<<if and .GroupBy (not (eq .GroupBy "x"))>>y<<end>>')).to.equal('y');
    expect(render('<<.GroupBy | printf "by (%s)">>')).to.equal('by (pod)');
    expect(render('<<if or "" .Series>>t<<end>>')).to.equal('t');
    expect(render('<<if lt 1 2>>lt<<end>><<if ge "b" "a">>ge<<end>>')).to.equal('ltge');
  });

  it('prints Go-style values and fails on unknown fields at render time', () => {
    expect(render('<<.GroupBySlice>> <<.LabelValuesByName>>')).to.equal('[namespace pod] map[namespace:ml pod:a|b]');
    expect(() => render('<<.Nope>>')).to.throw(/can't evaluate field Nope/);
  });

  it('refuses functions and actions outside the subset, naming them', () => {
    for (const [src, feature] of [
      ['<<join .GroupBySlice ",">>', 'template function "join"'],
      ['<<.Series | toUpper>>', 'template function "toUpper"'],
      ['<<template "x">>', 'template action "template"'],
      ['<<define "x">>y<<end>>', 'template action "define"'],
      ['<<slice .Series 1>>', 'template action "slice"'],
    ] as const) {
      expect(() => new Template(src), src).to.throw(UnsupportedFeature).with.property('feature', feature);
    }
  });

  it('reports syntax errors', () => {
    for (const src of ['<<if .Series>>x', '<<end>>', '<<.Series', '<<else>>', '<<index "a>>']) {
      expect(() => new Template(src), src).to.throw(TemplateSyntaxError);
    }
  });

  it('lists the top-level fields a template reads', () => {
    expect([...new Template('<<.Series>><<range .GroupBySlice>><<end>><<index $.LabelValuesByName "x">>').fields].sort()).to.deep.equal([
      'GroupBySlice', 'LabelValuesByName', 'Series',
    ]);
  });
});
