import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parsePromText, PromTextError } from '../../src/sources/prom-text.js';

const fixture = (p: string): string => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');

function parseError(body: string): PromTextError {
  try {
    parsePromText(body);
  } catch (err) {
    expect(err).to.be.instanceOf(PromTextError);
    return err as PromTextError;
  }
  throw new Error('expected a parse error');
}

describe('parsePromText', () => {
  it('parses names, labels, values and skips HELP/TYPE/other comments and blank lines', () => {
    const body = '# HELP up Up.\n# TYPE up gauge\n\n# just a comment\nup{job="a",instance="x:1"} 1\nplain 2\n';
    expect(parsePromText(body)).to.deep.equal([
      { name: 'up', labels: { job: 'a', instance: 'x:1' }, value: 1 },
      { name: 'plain', labels: {}, value: 2 },
    ]);
  });

  it('reads every value spelling exporters print', () => {
    const body = ['a 1.2e+09', 'b -3.5', 'c NaN', 'd +Inf', 'e -Inf', 'f .5', 'g 7E-3', 'h 0'].join('\n');
    const values = parsePromText(body).map((s) => s.value);
    expect(values.slice(0, 2)).to.deep.equal([1.2e9, -3.5]);
    expect(Number.isNaN(values[2])).to.equal(true);
    expect(values.slice(3)).to.deep.equal([Infinity, -Infinity, 0.5, 0.007, 0]);
  });

  it('reads optional millisecond timestamps', () => {
    const [s] = parsePromText('x{a="b"} 1.893449728e+09 1754312405123');
    expect(s).to.deep.equal({ name: 'x', labels: { a: 'b' }, value: 1.893449728e9, timestampMs: 1754312405123 });
  });

  it('unescapes \\" \\\\ and \\n in label values, and keeps other characters verbatim', () => {
    const [s] = parsePromText('m{a="say \\"hi\\"",b="C:\\\\dir",c="l1\\nl2",d="{x=1, y}",e="ünï"} 3');
    expect(s?.labels).to.deep.equal({ a: 'say "hi"', b: 'C:\\dir', c: 'l1\nl2', d: '{x=1, y}', e: 'ünï' });
  });

  it('accepts a trailing comma, spaces inside braces, tabs, CRLF and colons in metric names', () => {
    const [s] = parsePromText('job:rate5m{ a = "1" , b="2", }\t4\t17\r\n');
    expect(s).to.deep.equal({ name: 'job:rate5m', labels: { a: '1', b: '2' }, value: 4, timestampMs: 17 });
  });

  it('keeps only the wanted names and does not look at the others', () => {
    const body = 'keep{a="1"} 1\nskip{this is not parsed 2\nkeep 3';
    expect(parsePromText(body, { names: new Set(['keep']) }).map((s) => s.value)).to.deep.equal([1, 3]);
  });

  it('does not confuse a name with a longer one that starts like the previous line’s', () => {
    const body = 'foo{pod="a",ns="x"} 1\nfoo_bar{pod_uid="b",n="y"} 2\nfoo{pod="c"} 3';
    expect(parsePromText(body).map((s) => [s.name, s.labels])).to.deep.equal([
      ['foo', { pod: 'a', ns: 'x' }],
      ['foo_bar', { pod_uid: 'b', n: 'y' }],
      ['foo', { pod: 'c' }],
    ]);
  });

  it('stores a label called __proto__ like any other', () => {
    const [s] = parsePromText('m{__proto__="x"} 1');
    expect(Object.keys(s?.labels ?? {})).to.deep.equal(['__proto__']);
    expect(s?.labels.__proto__).to.equal('x');
  });

  const malformed: Array<[string, string, RegExp]> = [
    ['missing value', 'ok 1\nm{a="b"}', /line 2: missing value/],
    ['bad value', 'm 12abc', /line 1: invalid value "12abc"/],
    ['unterminated label value', '\n\nm{a="b} 1', /line 3: unterminated label value/],
    ['bad escape', 'm{a="\\t"} 1', /invalid escape sequence/],
    ['missing quote', 'm{a=b} 1', /expected """/],
    ['missing separator', 'm{a="1" b="2"} 1', /expected "," or "}"/],
    ['bad metric name', '9lives 1', /invalid metric name/],
    ['bad timestamp', 'm 1 soon', /invalid timestamp "soon"/],
    ['trailing junk', 'm 1 2 3', /unexpected text after the timestamp/],
    ['duplicate label', 'm{a="1",a="2"} 1', /duplicate label "a"/],
    ['colon in label name', 'm{a:b="1"} 1', /invalid label name/],
  ];
  for (const [what, body, msg] of malformed) {
    it(`rejects a malformed line (${what}) naming the line number`, () => {
      const err = parseError(body);
      expect(err.message).to.match(msg);
      expect(err.line).to.be.a('number');
    });
  }

  it('parses the research cAdvisor sample with its pause and pod-level rows', () => {
    const samples = parsePromText(fixture('cadvisor/kubelet.txt'));
    expect(samples).to.have.length(12);
    const pause = samples.find((s) => s.labels.image?.startsWith('registry.k8s.io/pause'));
    expect(pause?.labels.container).to.equal('');
    expect(pause?.timestampMs).to.equal(1754312401877);
    expect(samples[1]?.value).to.equal(1.887379456e9);
  });

  it('parses a 10 000-series body', () => {
    const lines: string[] = ['# TYPE m gauge'];
    for (let i = 0; i < 10_000; i++) {
      lines.push(`container_fs_reads_bytes_total{container="c${i}",device="/dev/nvme0n1",id="/kubepods.slice/pod${i}",image="img:${i}",namespace="ns",pod="p${i}"} ${i}.5e+03 1754312405123`);
    }
    const samples = parsePromText(lines.join('\n'));
    expect(samples).to.have.length(10_000);
    expect(samples[9_999]?.value).to.equal(9999.5e3);
  });
});
