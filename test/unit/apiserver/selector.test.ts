import { expect } from 'chai';
import { everything, MAX_SELECTOR_LENGTH, parseSelector, SelectorParseError } from '../../../src/apiserver/selector.js';

/** [input, canonical string, [requirement key, operator, values][]] */
const VALID: [string, string, [string, string, string[]][]][] = [
  ['', '', []],
  ['   ', '', []],
  ['a=b', 'a=b', [['a', '=', ['b']]]],
  ['a==b', 'a==b', [['a', '==', ['b']]]],
  ['a!=b', 'a!=b', [['a', '!=', ['b']]]],
  ['a=', 'a=', [['a', '=', ['']]]],
  ['a!=', 'a!=', [['a', '!=', ['']]]],
  ['a in (y,x)', 'a in (x,y)', [['a', 'in', ['x', 'y']]]],
  ['a in (x,x,y)', 'a in (x,y)', [['a', 'in', ['x', 'y']]]],
  ['a notin (y, x)', 'a notin (x,y)', [['a', 'notin', ['x', 'y']]]],
  ['a in ()', 'a in ()', [['a', 'in', ['']]]],
  ['a in (,)', 'a in ()', [['a', 'in', ['']]]],
  ['a in (x,)', 'a in (,x)', [['a', 'in', ['', 'x']]]],
  ['a in (,x)', 'a in (,x)', [['a', 'in', ['', 'x']]]],
  ['a in (x,,y)', 'a in (,x,y)', [['a', 'in', ['', 'x', 'y']]]],
  ['a in (,,,)', 'a in ()', [['a', 'in', ['']]]],
  ['a in (,,y)', 'a in (,y)', [['a', 'in', ['', 'y']]]],
  ['a', 'a', [['a', 'exists', []]]],
  ['!a', '!a', [['a', '!', []]]],
  [' ! a ', '!a', [['a', '!', []]]],
  ['a>5', 'a>5', [['a', 'gt', ['5']]]],
  ['a<10', 'a<10', [['a', 'lt', ['10']]]],
  ['a > 007', 'a>007', [['a', 'gt', ['007']]]],
  ['z=1,a=2', 'a=2,z=1', [['a', '=', ['2']], ['z', '=', ['1']]]],
  ['  x = y ,\t!z\n, w  ', 'w,x=y,!z', [['w', 'exists', []], ['x', '=', ['y']], ['z', '!', []]]],
  ['example.com/app=web', 'example.com/app=web', [['example.com/app', '=', ['web']]]],
  ['a.b_c-d=E.f_G-1', 'a.b_c-d=E.f_G-1', [['a.b_c-d', '=', ['E.f_G-1']]]],
  // `in`/`notin` are words wherever a key or a value is expected, as in Go.
  ['in in (in,notin)', 'in in (in,notin)', [['in', 'in', ['in', 'notin']]]],
  ['notin', 'notin', [['notin', 'exists', []]]],
  ['x=in', 'x=in', [['x', '=', ['in']]]],
  ['a=b,a=c', 'a=b,a=c', [['a', '=', ['b']], ['a', '=', ['c']]]],
  [`k=${'v'.repeat(63)}`, `k=${'v'.repeat(63)}`, [['k', '=', ['v'.repeat(63)]]]],
  [`${'p'.repeat(253)}/${'n'.repeat(63)}`, `${'p'.repeat(253)}/${'n'.repeat(63)}`, [[`${'p'.repeat(253)}/${'n'.repeat(63)}`, 'exists', []]]],
];

/** [input, substring of the message] */
const INVALID: [string, string][] = [
  [',', "found ',', expected: !, identifier, or 'end of string'"],
  ['a,', "found '', expected: identifier after ','"],
  ['a,,b', "found ',', expected: identifier after ','"],
  ['=b', "found '=', expected: !, identifier, or 'end of string'"],
  ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
  ['a=b c', "found 'c', expected: ',' or 'end of string'"],
  ['a=b=c', "found '=', expected: ',' or 'end of string'"],
  ['a in x', "unable to parse requirement: found 'x' expected: '('"],
  ['a in (x', "unable to parse requirement: found '', expected: ',' or ')'"],
  ['a in (x y)', "found 'y', expected: ',' or ')'"],
  ['a in (=)', "found '=', expected: ',', ')' or identifier"],
  ['a in (x,=)', "found '=', expected: ',', or identifier"],
  ['a in', "found '' expected: '('"],
  ['!', "unable to parse requirement: found '', expected: identifier"],
  ['!a=b', "found '=', expected: ',' or 'end of string'"],
  ['!!a', "unable to parse requirement: found '!', expected: identifier"],
  ['a!b', "found '!', expected: in, notin, =, ==, !=, gt, lt"],
  ['a>', "Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer"],
  ['a>x', "for 'Gt', 'Lt' operators, the value must be an integer"],
  ['a<1.5', "for 'Gt', 'Lt' operators, the value must be an integer"],
  ['a>99999999999999999999', "for 'Gt', 'Lt' operators, the value must be an integer"],
  ['a>-1', 'a valid label must be an empty string'],
  ['-a=b', 'Invalid value: "-a": name part must consist of alphanumeric characters'],
  ['a-=b', 'name part must consist of alphanumeric'],
  [`${'n'.repeat(64)}=b`, 'name part must be no more than 63 characters'],
  ['/a', 'prefix part must be non-empty'],
  ['a/', 'name part must be non-empty'],
  ['a/b/c', 'a qualified name must consist of'],
  ['Example.com/a', 'prefix part a lowercase RFC 1123 subdomain'],
  [`${'p'.repeat(254)}/a`, 'prefix part must be no more than 253 characters'],
  ['a=-b', 'Invalid value: "-b": a valid label must be an empty string'],
  [`a=${'v'.repeat(64)}`, 'must be no more than 63 characters'],
  ['a in (x,-y)', 'Invalid value: "-y"'],
  ['a=b\u00a0', 'a valid label must be'],
  ['ä=b', 'name part must consist of'],
  ['(', "found '(', expected: !, identifier, or 'end of string'"],
  // Go quirk kept on purpose: after `,,` the parser wants a value, so these fail upstream too.
  ['a in (,,)', "found ')', expected: ',', or identifier"],
  ['a in (x,,)', "found ')', expected: ',', or identifier"],
  ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
];

describe('parseSelector', () => {
  describe('valid selectors', () => {
    for (const [input, canonical, reqs] of VALID) {
      it(`parses ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, () => {
        const sel = parseSelector(input);
        expect(sel.toString()).to.equal(canonical);
        expect(sel.requirements.map((r) => [r.key, r.operator, [...r.values]])).to.deep.equal(reqs);
        expect(sel.isEmpty()).to.equal(reqs.length === 0);
      });
    }
  });

  describe('invalid selectors', () => {
    for (const [input, fragment] of INVALID) {
      it(`rejects ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, () => {
        expect(() => parseSelector(input))
          .to.throw(SelectorParseError)
          .with.property('message')
          .that.includes(fragment);
      });
    }

    it('rejects input over the length limit without scanning it', () => {
      const huge = `a=${'b'.repeat(MAX_SELECTOR_LENGTH)}`;
      expect(() => parseSelector(huge)).to.throw(SelectorParseError, /more than the limit of 10000/);
    });

    it('accepts input exactly at the length limit', () => {
      const input = `${'a,'.repeat(MAX_SELECTOR_LENGTH / 2 - 1)}ab`;
      expect(input.length).to.equal(MAX_SELECTOR_LENGTH);
      expect(parseSelector(input).requirements).to.have.length(MAX_SELECTOR_LENGTH / 2);
    });

    it('is a named Error subclass', () => {
      try {
        parseSelector(',');
        expect.fail('should throw');
      } catch (err) {
        expect(err).to.be.instanceOf(Error);
        expect((err as Error).name).to.equal('SelectorParseError');
      }
    });
  });

  describe('matches', () => {
    const cases: [string, Record<string, string>, boolean][] = [
      ['', {}, true],
      ['a=b', { a: 'b' }, true],
      ['a=b', { a: 'c' }, false],
      ['a=b', {}, false],
      ['a==b', { a: 'b', x: 'y' }, true],
      ['a!=b', {}, true],
      ['a!=b', { a: 'b' }, false],
      ['a!=b', { a: 'c' }, true],
      ['a=', { a: '' }, true],
      ['a=', {}, false],
      ['a in (x,y)', { a: 'y' }, true],
      ['a in (x,y)', { a: 'z' }, false],
      ['a in (x,y)', {}, false],
      ['a notin (x,y)', {}, true],
      ['a notin (x,y)', { a: 'x' }, false],
      ['a notin (x,y)', { a: 'z' }, true],
      ['a', { a: '' }, true],
      ['a', {}, false],
      ['!a', {}, true],
      ['!a', { a: 'x' }, false],
      ['a>5', { a: '6' }, true],
      ['a>5', { a: '5' }, false],
      ['a>5', { a: '-7' }, false],
      ['a<5', { a: '-7' }, true],
      ['a<5', { a: 'x' }, false],
      ['a<5', {}, false],
      ['a>9223372036854775806', { a: '9223372036854775807' }, true],
      ['a<5', { a: '99999999999999999999' }, false],
      ['a=b,c=d', { a: 'b', c: 'd' }, true],
      ['a=b,c=d', { a: 'b' }, false],
      // Own properties only: a label set is a record, not an object with a prototype chain.
      ['constructor', {}, false],
      ['!toString', {}, true],
      ['hasOwnProperty!=x', {}, true],
    ];
    for (const [input, labels, expected] of cases) {
      it(`${JSON.stringify(input)} on ${JSON.stringify(labels)} → ${expected}`, () => {
        expect(parseSelector(input).matches(labels)).to.equal(expected);
      });
    }
  });

  it('mentions the keys it names', () => {
    const sel = parseSelector('a=b,!c,d in (x)');
    expect(sel.mentions('a')).to.equal(true);
    expect(sel.mentions('c')).to.equal(true);
    expect(sel.mentions('d')).to.equal(true);
    expect(sel.mentions('x')).to.equal(false);
  });

  it('exports an everything selector', () => {
    expect(everything.isEmpty()).to.equal(true);
    expect(everything.matches({ any: 'thing' })).to.equal(true);
    expect(everything.toString()).to.equal('');
    expect(everything.toLabelSelector()).to.equal(null);
  });

  it('freezes its requirement list', () => {
    const sel = parseSelector('a=b');
    expect(Object.isFrozen(sel.requirements)).to.equal(true);
  });
});

describe('ParsedSelector.toLabelSelector', () => {
  const cases: [string, unknown][] = [
    ['', null],
    ['a=b', { matchLabels: { a: 'b' } }],
    ['a==b,c=d', { matchLabels: { a: 'b', c: 'd' } }],
    ['a!=b', { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['b'] }] }],
    ['a in (y,x)', { matchExpressions: [{ key: 'a', operator: 'In', values: ['x', 'y'] }] }],
    ['a notin (x)', { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }],
    ['a', { matchExpressions: [{ key: 'a', operator: 'Exists' }] }],
    ['!a', { matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }],
    [
      'z=1,!y,a in (q)',
      { matchLabels: { z: '1' }, matchExpressions: [{ key: 'a', operator: 'In', values: ['q'] }, { key: 'y', operator: 'DoesNotExist' }] },
    ],
    // Two equalities on one key cannot share matchLabels; the second keeps its meaning as In.
    ['a=b,a=c', { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'a', operator: 'In', values: ['c'] }] }],
    // gt/lt have no LabelSelector form and are left out of the (informational) echo.
    ['a>5,b=c', { matchLabels: { b: 'c' } }],
    ['a>5', {}],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      expect(parseSelector(input).toLabelSelector()).to.deep.equal(expected);
    });
  }
});
