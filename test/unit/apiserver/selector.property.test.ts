import { expect } from 'chai';
import fc from 'fast-check';
import { parseSelector, SelectorParseError } from '../../../src/apiserver/selector.js';

const SEED = 20250501;
const RUNS = 1500;

type Op = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | '>' | '<';
interface Req {
  key: string;
  op: Op;
  values: string[];
}

// Small pools so that requirements and labels collide often; `in`/`notin` exercise the
// keyword-as-word rules, numbers exercise `>`/`<`.
const KEYS = ['a', 'b', 'app', 'in', 'notin', 'x.y-z_1', 'example.com/tier', 'k8s.io/name'];
const VALUES = ['', 'x', 'y', 'web', 'in', 'notin', '5', '10', '007', 'A.b-c_9'];
const INTS = ['0', '1', '5', '10', '007', '9223372036854775807'];

const key = fc.constantFrom(...KEYS);

/**
 * Go's parser rejects some lists whose text ends in `,,` (e.g. `(x,,)`; see the table
 * test), so generated lists never hold two empty values in a row.
 */
function noDoubleEmpty(values: string[]): string[] {
  return values.filter((v, i) => !(v === '' && values[i - 1] === ''));
}
const value = fc.constantFrom(...VALUES);
const labelValue = fc.oneof(value, fc.integer({ min: -20, max: 20 }).map(String), fc.constantFrom('abc', '99999999999999999999'));

const requirement: fc.Arbitrary<Req> = fc.oneof(
  fc.record({ key, op: fc.constantFrom<Op>('=', '==', '!='), values: value.map((v) => [v]) }),
  fc.record({ key, op: fc.constantFrom<Op>('in', 'notin'), values: fc.array(value, { minLength: 1, maxLength: 4 }).map(noDoubleEmpty) }),
  fc.record({ key, op: fc.constantFrom<Op>('exists', '!'), values: fc.constant<string[]>([]) }),
  fc.record({ key, op: fc.constantFrom<Op>('>', '<'), values: fc.constantFrom(...INTS).map((v) => [v]) }),
);

const labels = fc.dictionary(key, labelValue, { maxKeys: KEYS.length });
const space = fc.constantFrom('', ' ', '  ', '\t', '\n', ' \r\n ');
/** Mandatory blank: between a key and a word operator. */
const blank = fc.constantFrom(' ', '\t', '\n', '   ');

/** Renders a requirement with arbitrary legal whitespace between tokens. */
function render(r: Req, ws: string[], must: string): string {
  const w = (i: number): string => ws[i % ws.length] ?? '';
  switch (r.op) {
    case 'exists':
      return `${w(0)}${r.key}${w(1)}`;
    case '!':
      return `${w(0)}!${w(1)}${r.key}${w(2)}`;
    case 'in':
    case 'notin': {
      const list = r.values.map((v, i) => `${w(i + 3)}${v}${w(i + 4)}`).join(',');
      return `${w(0)}${r.key}${must}${r.op}${w(1)}(${list})${w(2)}`;
    }
    default:
      return `${w(0)}${r.key}${w(1)}${r.op}${w(2)}${r.values[0] ?? ''}${w(3)}`;
  }
}

const selectorCase = fc
  .tuple(fc.array(requirement, { maxLength: 6 }), fc.array(space, { minLength: 1, maxLength: 8 }), blank)
  .map(([reqs, ws, must]) => ({ reqs, text: reqs.map((r) => render(r, ws, must)).join(',') }));

/** Reference semantics, written from the Kubernetes docs rather than from src. */
function refInt(s: string | undefined): bigint | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

function refMatches(reqs: Req[], ls: Record<string, string>): boolean {
  return reqs.every((r) => {
    const present = Object.prototype.hasOwnProperty.call(ls, r.key);
    const v = present ? ls[r.key] : undefined;
    switch (r.op) {
      case '=':
      case '==':
      case 'in':
        return present && r.values.includes(v as string);
      case '!=':
      case 'notin':
        return !present || !r.values.includes(v as string);
      case 'exists':
        return present;
      case '!':
        return !present;
      case '>':
      case '<': {
        const a = refInt(v);
        const b = refInt(r.values[0]);
        if (a === undefined || b === undefined) return false;
        return r.op === '>' ? a > b : a < b;
      }
    }
  });
}

describe('parseSelector (properties)', () => {
  it('matches like an independent reference evaluator', () => {
    fc.assert(
      fc.property(selectorCase, labels, ({ reqs, text }, ls) => {
        expect(parseSelector(text).matches(ls), text).to.equal(refMatches(reqs, ls));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('keeps one requirement per rendered requirement, with the same keys', () => {
    fc.assert(
      fc.property(selectorCase, ({ reqs, text }) => {
        const parsed = parseSelector(text);
        expect(parsed.requirements.map((r) => r.key)).to.deep.equal(reqs.map((r) => r.key).sort());
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('re-parses its own canonical string to the same selector', () => {
    fc.assert(
      fc.property(selectorCase, labels, ({ text }, ls) => {
        const once = parseSelector(text);
        const twice = parseSelector(once.toString());
        expect(twice.requirements).to.deep.equal(once.requirements);
        expect(twice.toString()).to.equal(once.toString());
        expect(twice.matches(ls)).to.equal(once.matches(ls));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('throws nothing but SelectorParseError on grammar-shaped noise', () => {
    const unit = fc.constantFrom(...'ab=!(),<>  \t\n-_./09inotZ'.split(''), 'in', 'notin', 'ä');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (s) => parseOrParseError(s)),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it('throws nothing but SelectorParseError on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => parseOrParseError(s)),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('parses long adversarial inputs (just under the limit) without trouble', () => {
    const inputs = [
      `a in (${'x,'.repeat(4990)}x)`,
      `${'p'.repeat(9990)}/a`,
      '('.repeat(9999),
      `${'a='.repeat(4999)}`,
      `${'a.'.repeat(4999)}!`,
      ` ${'\t'.repeat(9998)}`,
    ];
    for (const s of inputs) parseOrParseError(s);
  });
});

function parseOrParseError(s: string): void {
  try {
    parseSelector(s);
  } catch (err) {
    if (!(err instanceof SelectorParseError)) throw err;
  }
}
