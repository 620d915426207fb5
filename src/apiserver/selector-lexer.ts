/**
 * Tokenizer for the Kubernetes label selector grammar, a transcription of the Lexer in
 * k8s.io/apimachinery/pkg/labels/selector.go. Matching Go token for token keeps odd
 * inputs (`x in (in)`, `a!=b`, `a==b`) behaving exactly like kube-apiserver.
 */

export type TokenKind =
  | 'end'
  | 'closedPar'
  | 'comma'
  | 'doesNotExist'
  | 'doubleEquals'
  | 'equals'
  | 'greaterThan'
  | 'identifier'
  | 'in'
  | 'lessThan'
  | 'notEquals'
  | 'notIn'
  | 'openPar';

export interface Token {
  readonly kind: TokenKind;
  readonly literal: string;
}

const LITERAL_TOKENS: ReadonlyMap<string, TokenKind> = new Map<string, TokenKind>([
  [')', 'closedPar'],
  [',', 'comma'],
  ['!', 'doesNotExist'],
  ['==', 'doubleEquals'],
  ['=', 'equals'],
  ['>', 'greaterThan'],
  ['in', 'in'],
  ['<', 'lessThan'],
  ['!=', 'notEquals'],
  ['notin', 'notIn'],
  ['(', 'openPar'],
]);

// Go treats only these four as blanks; anything else (e.g. a non-breaking space) is
// part of an identifier and then fails key/value validation.
function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function isSpecial(ch: string): boolean {
  return '=!(),><'.includes(ch);
}

/** Splits `input` into tokens; the last one is always `end`. Linear in the input length. */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < input.length && isWhitespace(input.charAt(pos))) pos++;
    if (pos >= input.length) {
      tokens.push({ kind: 'end', literal: '' });
      return tokens;
    }
    const scanned = isSpecial(input.charAt(pos)) ? scanSpecial(input, pos) : scanWord(input, pos);
    tokens.push(scanned.token);
    pos = scanned.next;
  }
}

interface Scanned {
  readonly token: Token;
  readonly next: number;
}

/** Longest operator starting at `pos` (`!=` over `!`, `==` over `=`). */
function scanSpecial(input: string, pos: number): Scanned {
  const two = input.slice(pos, pos + 2);
  const twoKind = LITERAL_TOKENS.get(two);
  if (two.length === 2 && twoKind !== undefined) return { token: { kind: twoKind, literal: two }, next: pos + 2 };
  const one = input.charAt(pos);
  // Every single special character is a token, so this lookup cannot miss.
  const kind = LITERAL_TOKENS.get(one) ?? 'identifier';
  return { token: { kind, literal: one }, next: pos + 1 };
}

/** A run of non-blank, non-operator characters: a key, a value, or `in`/`notin`. */
function scanWord(input: string, pos: number): Scanned {
  let end = pos;
  while (end < input.length && !isSpecial(input.charAt(end)) && !isWhitespace(input.charAt(end))) end++;
  const literal = input.slice(pos, end);
  const keyword = literal === 'in' || literal === 'notin' ? LITERAL_TOKENS.get(literal) : undefined;
  return { token: { kind: keyword ?? 'identifier', literal }, next: end };
}
