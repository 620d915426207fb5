import { expect } from 'chai';
import { re2, translateRe2, UnsupportedFeature } from '../../../src/promadapter/index.js';

describe('RE2 to JavaScript regex translation', () => {
  it('translates the RE2 spellings that differ', () => {
    expect(translateRe2('^(?P<group>.+?)_(?P<resource>.+?)$')).to.deep.equal({ source: '^(?<group>.+?)_(?<resource>.+?)$', flags: '' });
    expect(translateRe2('(?i)^http_.*')).to.deep.equal({ source: '^http_.*', flags: 'i' });
    expect(translateRe2('(?is)a.b')).to.deep.equal({ source: 'a.b', flags: 'is' });
    expect(translateRe2('[[:digit:]]+')).to.deep.equal({ source: '[0-9]+', flags: '' });
    expect(translateRe2('\\Aabc\\z').source).to.equal('^abc$');
    expect(translateRe2('\\Qa.b\\E').source).to.equal('a\\.b');
    expect(translateRe2('[]a]').source).to.equal('[\\]a]');
  });

  it('matches unanchored, like Go MatchString', () => {
    expect(re2('_total').test('http_requests_total')).to.equal(true);
    expect(re2('^container_.*_seconds_total$').test('container_cpu_usage_seconds_total')).to.equal(true);
    expect(re2('(?i)HTTP').test('http_x')).to.equal(true);
  });

  it('refuses what RE2 has no equivalent for, naming the feature', () => {
    for (const [p, feature] of [
      ['foo(?=bar)', 'lookaround in regex'],
      ['(?<!x)y', 'lookaround in regex'],
      ['(a)\\1', 'backreference in regex'],
      ['\\pL+', 'unicode class in regex'],
      ['a(?i)b', 'inline regex flags'],
      ['(?U)a+', 'regex flag U'],
    ] as const) {
      expect(() => translateRe2(p), p).to.throw(UnsupportedFeature).with.property('feature', feature);
    }
  });

  it('rejects invalid patterns', () => {
    expect(() => translateRe2('(abc')).to.throw(/invalid regex/);
    expect(() => translateRe2('[abc')).to.throw(/missing closing/);
  });
});
