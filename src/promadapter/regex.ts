import { UnsupportedFeature } from './unsupported.js';

/**
 * RE2 (Go `regexp`) → JavaScript RegExp. prometheus-adapter configs are written for RE2;
 * the common subset is passed through, the few spellings that differ are translated, and
 * what JavaScript cannot do the RE2 way is refused rather than silently changed.
 * Matching stays unanchored, as Go's `MatchString` is.
 */
export interface TranslatedRegex {
  readonly source: string;
  readonly flags: string;
}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Translates `pattern`; throws UnsupportedFeature for lookarounds, backreferences, `\p` classes, mid-pattern flags. */
export function translateRe2(pattern: string): TranslatedRegex {
  let flags = '';
  let i = 0;
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead?.[1] !== undefined) {
    if (lead[1].includes('U')) throw new UnsupportedFeature('regex flag U', `"${pattern}": ungreedy mode has no JavaScript equivalent`);
    flags = [...new Set(lead[1])].sort().join('');
    i = lead[0].length;
  }
  let out = '';
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const [text, next] = escape(pattern, i);
      out += text;
      i = next;
    } else if (c === '[') {
      const [text, next] = charClass(pattern, i);
      out += text;
      i = next;
    } else if (c === '(' && pattern[i + 1] === '?') {
      const [text, next] = groupOpening(pattern, i);
      out += text;
      i = next;
    } else {
      out += c;
      i++;
    }
  }
  try {
    new RegExp(out, flags);
  } catch (err) {
    throw new Error(`invalid regex "${pattern}": ${(err as Error).message}`, { cause: err });
  }
  return { source: out, flags };
}

/** The translated pattern as a RegExp (no `g` flag, so `test` has no state). */
export function re2(pattern: string): RegExp {
  const { source, flags } = translateRe2(pattern);
  return new RegExp(source, flags);
}

function escape(p: string, i: number): [string, number] {
  const n = p[i + 1];
  if (n === undefined) throw new Error(`invalid regex "${p}": trailing backslash`);
  if (/[1-9]/.test(n)) throw new UnsupportedFeature('backreference in regex', `"${p}": RE2 has no backreferences`);
  if (n === 'p' || n === 'P') throw new UnsupportedFeature('unicode class in regex', `"${p}": \\${n} classes are not supported`);
  if (n === 'C') throw new UnsupportedFeature('\\C in regex', `"${p}": single-byte matching is not supported`);
  if (n === 'A') return ['^', i + 2];
  if (n === 'z') return ['$', i + 2];
  if (n === 'Q') {
    const end = p.indexOf('\\E', i + 2);
    const literal = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
    return [literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'), end < 0 ? p.length : end + 2];
  }
  return [p.slice(i, i + 2), i + 2];
}

/** `[...]`: a `]` right after `[` or `[^` is a literal in RE2; `[:name:]` POSIX classes are expanded. */
function charClass(p: string, start: number): [string, number] {
  let i = start + 1;
  let out = '[';
  if (p[i] === '^') {
    out += '^';
    i++;
  }
  if (p[i] === ']') {
    out += '\\]';
    i++;
  }
  while (i < p.length && p[i] !== ']') {
    if (p[i] === '\\') {
      const [text, next] = escape(p, i);
      out += text;
      i = next;
      continue;
    }
    if (p.startsWith('[:', i)) {
      const end = p.indexOf(':]', i + 2);
      const name = end < 0 ? '' : p.slice(i + 2, end);
      const negated = name.startsWith('^');
      const range = POSIX_CLASSES[negated ? name.slice(1) : name];
      if (range === undefined || negated) throw new UnsupportedFeature('POSIX class in regex', `"${p}": [:${name}:] is not supported`);
      out += range;
      i = end + 2;
      continue;
    }
    if (p[i] === '[') {
      out += '\\[';
      i++;
      continue;
    }
    out += p[i];
    i++;
  }
  if (i >= p.length) throw new Error(`invalid regex "${p}": missing closing ]`);
  return [`${out}]`, i + 1];
}

function groupOpening(p: string, i: number): [string, number] {
  const rest = p.slice(i);
  const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
  if (named) return [`(?<${named[1] ?? ''}>`, i + named[0].length];
  if (rest.startsWith('(?:')) return ['(?:', i + 3];
  if (/^\(\?(=|!|<=|<!)/.test(rest)) throw new UnsupportedFeature('lookaround in regex', `"${p}": RE2 has no lookahead or lookbehind`);
  if (/^\(\?[imsU-]+[:)]/.test(rest)) {
    throw new UnsupportedFeature('inline regex flags', `"${p}": flags are supported only as a leading (?i), (?s) or (?m)`);
  }
  throw new Error(`invalid regex "${p}": unknown group syntax at ${rest.slice(0, 6)}`);
}
