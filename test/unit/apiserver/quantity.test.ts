import { expect } from 'chai';
import fc from 'fast-check';
import { formatQuantity, parseQuantity } from '../../../src/apiserver/quantity.js';

describe('formatQuantity', () => {
  // Every row of the spec's §2.4 table, then the edges.
  const cases: [number, string][] = [
    [0, '0'],
    [12, '12'],
    [1.5, '1500m'],
    [0.25, '250m'],
    [1500, '1500'],
    [2000, '2k'],
    [1e6, '1M'],
    [0.0005, '500u'],
    [73.25, '73250m'],
    [52428800, '52428800'],
    [-0, '0'],
    [-1.5, '-1500m'],
    [-2000, '-2k'],
    [-0.0005, '-500u'],
    [-73.25, '-73250m'],
    [1, '1'],
    [10, '10'],
    [100, '100'],
    [1000, '1k'],
    [0.1, '100m'],
    [0.001, '1m'],
    [0.01, '10m'],
    [0.000001, '1u'],
    [0.000000001, '1n'],
    [1e-10, '1n'], // below nano rounds up, away from zero
    [-1e-10, '-1n'],
    [1.5e-9, '2n'],
    [0.1 + 0.2, '300m'], // float noise is not significant
    [1 / 3, '333333334n'],
    [123456789, '123456789'],
    [1234567.5, '1234567500m'],
    [1e9, '1G'],
    [1e12, '1T'],
    [1e15, '1P'],
    [1e18, '1E'],
    [2.5e18, '2500P'],
    [1e19, '10E'],
    [1e20, '100E'],
    [1e21, '1e21'],
    [1.5e21, '1500E'],
    [1.5e22, '15e21'],
    [1e300, '1e300'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [Number.MAX_VALUE, '179769313486232e294'],
    [Number.MIN_VALUE, '1n'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => {
      expect(formatQuantity(input)).to.equal(expected);
    });
  }

  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`throws on ${bad}`, () => {
      expect(() => formatQuantity(bad)).to.throw(RangeError, /finite/);
    });
  }

  it('round-trips through parseQuantity at nano precision', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e15, max: 1e15, noNaN: true }), (v) => {
        const back = parseQuantity(formatQuantity(v));
        const tolerance = Math.max(1e-9, Math.abs(v) * 1e-14);
        expect(Math.abs(back - v)).to.be.at.most(tolerance);
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  it('emits only canonical forms: no trailing zeros before a suffix, exponent a multiple of 3', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const s = formatQuantity(v);
        expect(s).to.match(/^(0|-?[0-9]+([numkMGTPE]|e[0-9]+)?)$/);
        if (s !== '0' && /[numkMGTPE]$|e[0-9]+$/.test(s)) expect(s).not.to.match(/000(?:[numkMGTPE]|e[0-9]+)$/);
      }),
      { seed: 7, numRuns: 3000 },
    );
  });
});

describe('parseQuantity', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['0m', 0],
    ['0.0', 0],
    ['12', 12],
    ['12.0', 12],
    ['12000m', 12],
    ['1.5', 1.5],
    ['.25', 0.25],
    ['5.', 5],
    ['+5', 5],
    ['-5', -5],
    ['1500m', 1.5],
    ['1.5k', 1500],
    ['2k', 2000],
    ['1M', 1e6],
    ['1e6', 1e6],
    ['1E6', 1e6],
    ['2E+3', 2000],
    ['1.5e-7', 1.5e-7],
    ['1e-3', 0.001],
    ['500u', 0.0005],
    ['0.5m', 0.0005],
    ['1n', 1e-9],
    ['1G', 1e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['1Ki', 1024],
    ['1.5Ki', 1536],
    ['50Mi', 52428800],
    ['1Gi', 2 ** 30],
    ['1Ti', 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['-2Mi', -(2 ** 21)],
    ['0.0000000001', 1e-9], // rounds up to one nano, like Go
    ['-0.0000000001', -1e-9],
    ['1e-400', 1e-9],
    ['73250m', 73.25],
    ['1e21', 1e21],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => {
      expect(parseQuantity(input)).to.equal(expected);
    });
  }

  const invalid = [
    '',
    ' ',
    '1 ',
    ' 1',
    'NaN',
    'Inf',
    'Infinity',
    '-Infinity',
    '1.2.3',
    '1K',
    '1mi',
    '1e',
    '1e+',
    '1ee3',
    '1e3.5',
    'm',
    '.',
    '+',
    '-',
    '1 k',
    '1KiB',
    '0x10',
    '1_000',
    '1e400',
    '9'.repeat(300),
  ];
  for (const input of invalid) {
    it(`rejects ${JSON.stringify(input.length > 20 ? `${input.slice(0, 20)}…` : input)}`, () => {
      expect(() => parseQuantity(input)).to.throw(Error);
    });
  }
});
