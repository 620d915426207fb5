import { labelValueErrors, qualifiedNameErrors } from './label-validation.js';
import { tokenize, type Token, type TokenKind } from './selector-lexer.js';

/**
 * Recursive-descent parser for `labels.Parse`, transcribed from
 * k8s.io/apimachinery/pkg/labels/selector.go (Parser, parseRequirement, NewRequirement)
 * so that accepted inputs, values and error messages match kube-apiserver.
 */

/** Operator names as Go's `selection.Operator` spells them. */
export type SelectorOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** Sorted and de-duplicated for `in`/`notin`; one value for `=`, `==`, `!=`, `gt`, `lt`; none otherwise. */
  readonly values: readonly string[];
}

/** An unparsable selector; the message mirrors Kubernetes' and is safe to show to users. */
export class SelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorParseError';
  }
}

/** Longest selector we parse; far above anything HPA or kubectl produce, and it bounds the work. */
export const MAX_SELECTOR_LENGTH = 10_000;

const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Requirements in input order; throws SelectorParseError. */
export function parseRequirements(input: string): Requirement[] {
  if (input.length > MAX_SELECTOR_LENGTH) {
    throw new SelectorParseError(
      `unable to parse requirement: selector is ${input.length} characters long, more than the limit of ${MAX_SELECTOR_LENGTH}`,
    );
  }
  return new Parser(tokenize(input)).parse();
}

/** Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, int64 range. */
export function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** Where `in`/`notin` count as plain words (keys and values) rather than operators. */
type Context = 'keyAndOperator' | 'values';

class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const head = this.lookahead('values');
      if (head.kind === 'end') return requirements;
      if (head.kind !== 'identifier' && head.kind !== 'doesNotExist') {
        throw fail(`found '${head.literal}', expected: !, identifier, or 'end of string'`);
      }
      requirements.push(this.requirementOrFail());
      const sep = this.consume('values');
      if (sep.kind === 'end') return requirements;
      if (sep.kind !== 'comma') throw fail(`found '${sep.literal}', expected: ',' or 'end of string'`);
      const next = this.lookahead('values');
      if (next.kind !== 'identifier' && next.kind !== 'doesNotExist') {
        throw fail(`found '${next.literal}', expected: identifier after ','`);
      }
    }
  }

  private requirementOrFail(): Requirement {
    try {
      return this.parseRequirement();
    } catch (err) {
      if (err instanceof SelectorParseError) throw fail(`unable to parse requirement: ${err.message}`);
      throw err;
    }
  }

  private parseRequirement(): Requirement {
    const { key, unary } = this.parseKeyAndInferOperator();
    if (unary !== undefined) return { key, operator: unary, values: [] };
    const operator = this.parseOperator();
    const values = operator === 'in' || operator === 'notin' ? this.parseValues() : [this.parseExactValue()];
    return newRequirement(key, operator, values);
  }

  /** `!key` → '!', a key followed by `,` or the end → 'exists', otherwise an operator follows. */
  private parseKeyAndInferOperator(): { key: string; unary?: 'exists' | '!' } {
    let tok = this.consume('values');
    const negated = tok.kind === 'doesNotExist';
    if (negated) tok = this.consume('values');
    if (tok.kind !== 'identifier') throw fail(`found '${tok.literal}', expected: identifier`);
    checkKey(tok.literal);
    const next = this.lookahead('values').kind;
    if (next === 'end' || next === 'comma') return { key: tok.literal, unary: negated ? '!' : 'exists' };
    // `!key =v`: Go returns `!key` too, and the `=` then fails as a bad separator.
    if (negated) return { key: tok.literal, unary: '!' };
    return { key: tok.literal };
  }

  private parseOperator(): Exclude<SelectorOperator, 'exists' | '!'> {
    const tok = this.consume('keyAndOperator');
    const op = OPERATOR_BY_TOKEN.get(tok.kind);
    if (op === undefined) throw fail(`found '${tok.literal}', expected: ${BINARY_OPERATORS}`);
    return op;
  }

  /** `( v1, v2, … )`; empty entries (`()`, `(a,)`, `(,,)`) stand for the empty value, as in Go. */
  private parseValues(): string[] {
    const open = this.consume('values');
    if (open.kind !== 'openPar') throw fail(`found '${open.literal}' expected: '('`);
    const first = this.lookahead('values');
    if (first.kind === 'closedPar') {
      this.consume('values');
      return [''];
    }
    if (first.kind !== 'identifier' && first.kind !== 'comma') {
      throw fail(`found '${first.literal}', expected: ',', ')' or identifier`);
    }
    const values = this.parseIdentifiersList();
    const close = this.consume('values');
    if (close.kind !== 'closedPar') throw fail(`found '${first.literal}', expected: ')'`);
    return values;
  }

  private parseIdentifiersList(): string[] {
    const values = new Set<string>();
    for (;;) {
      const tok = this.consume('values');
      if (tok.kind === 'identifier') {
        values.add(tok.literal);
        const next = this.lookahead('values');
        if (next.kind === 'closedPar') return [...values];
        if (next.kind !== 'comma') throw fail(`found '${next.literal}', expected: ',' or ')'`);
      } else if (tok.kind === 'comma') {
        if (values.size === 0) values.add('');
        const next = this.lookahead('values');
        if (next.kind === 'closedPar') {
          values.add('');
          return [...values];
        }
        if (next.kind === 'comma') {
          this.consume('values');
          values.add('');
        }
      } else {
        throw fail(`found '${tok.literal}', expected: ',', or identifier`);
      }
    }
  }

  /** The single value after `=`, `==`, `!=`, `>`, `<`; missing means the empty value. */
  private parseExactValue(): string {
    const next = this.lookahead('values');
    if (next.kind === 'end' || next.kind === 'comma') return '';
    const tok = this.consume('values');
    if (tok.kind === 'identifier') return tok.literal;
    throw fail(`found '${tok.literal}', expected: identifier`);
  }

  private lookahead(context: Context): Token {
    return inContext(this.tokens[this.position], context);
  }

  private consume(context: Context): Token {
    const tok = inContext(this.tokens[this.position], context);
    // The final `end` token is never stepped over: every caller stops at it.
    if (this.position < this.tokens.length - 1) this.position++;
    return tok;
  }
}

const OPERATOR_BY_TOKEN: ReadonlyMap<TokenKind, Exclude<SelectorOperator, 'exists' | '!'>> = new Map([
  ['in', 'in'],
  ['equals', '='],
  ['doubleEquals', '=='],
  ['greaterThan', 'gt'],
  ['lessThan', 'lt'],
  ['notIn', 'notin'],
  ['notEquals', '!='],
] as const);

function inContext(tok: Token | undefined, context: Context): Token {
  const t = tok ?? { kind: 'end', literal: '' };
  if (context === 'values' && (t.kind === 'in' || t.kind === 'notIn')) return { kind: 'identifier', literal: t.literal };
  return t;
}

function fail(message: string): SelectorParseError {
  return new SelectorParseError(message);
}

function checkKey(key: string): void {
  const errs = qualifiedNameErrors(key);
  if (errs.length > 0) throw fail(`Invalid value: ${JSON.stringify(key)}: ${errs.join('; ')}`);
}

/** Go's NewRequirement checks, minus the ones the grammar already guarantees. */
function newRequirement(key: string, operator: SelectorOperator, values: string[]): Requirement {
  for (const v of values) {
    if ((operator === 'gt' || operator === 'lt') && parseInt64(v) === undefined) {
      throw fail(`Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
    }
    const errs = labelValueErrors(v);
    if (errs.length > 0) throw fail(`Invalid value: ${JSON.stringify(v)}: ${errs.join('; ')}`);
  }
  const sorted = operator === 'in' || operator === 'notin' ? [...values].sort(compareStrings) : values;
  return { key, operator, values: sorted };
}

/** Byte order, like Go's sort.Strings (keys and values are ASCII once validated). */
export function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
