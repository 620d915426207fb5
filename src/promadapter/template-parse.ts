import { UnsupportedFeature } from './unsupported.js';

/**
 * Parser for the Go `text/template` subset prometheus-adapter configs use, with the
 * `<<` `>>` delimiters: text, actions with pipelines, variables, `if`/`else if`/`else`,
 * `range` (with `$i, $v :=`), `with`, comments and the `<<-` / `->>` trim markers.
 * Functions outside FUNCTIONS and keywords such as `define`/`template`/`block` are
 * refused at parse time, naming the feature.
 */

export const FUNCTIONS = new Set([
  'index', 'len', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'not', 'print', 'printf', 'println',
]);

export type Operand =
  | { readonly kind: 'dot'; readonly fields: readonly string[] }
  | { readonly kind: 'var'; readonly name: string; readonly fields: readonly string[] }
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null }
  | { readonly kind: 'func'; readonly name: string }
  | { readonly kind: 'sub'; readonly pipe: Pipeline; readonly fields: readonly string[] };

export interface Command {
  readonly args: readonly Operand[];
}

export interface Pipeline {
  /** `$x :=` (declare) or `$x =` (assign); two names for `range $i, $v :=`. */
  readonly vars: readonly string[];
  readonly assign: boolean;
  readonly cmds: readonly Command[];
}

export type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly pipe: Pipeline }
  | { readonly kind: 'if'; readonly pipe: Pipeline; readonly then: Node[]; readonly else?: Node[] }
  | { readonly kind: 'with'; readonly pipe: Pipeline; readonly then: Node[]; readonly else?: Node[] }
  | { readonly kind: 'range'; readonly pipe: Pipeline; readonly then: Node[]; readonly else?: Node[] };

/** A malformed template (Go would refuse it too). */
export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

const OPEN = '<<';
const CLOSE = '>>';

interface RawAction {
  readonly body: string;
}

/** Splits into text and action bodies, applying trim markers. */
function split(src: string): (string | RawAction)[] {
  const parts: (string | RawAction)[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf(OPEN, i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      if (text !== '') parts.push(text);
      break;
    }
    let j = open + OPEN.length;
    if (/^-[ \t\r\n]/.test(src.slice(j))) {
      text = text.replace(/\s+$/, '');
      j += 1;
    }
    if (text !== '') parts.push(text);
    const close = findClose(src, j);
    let body = src.slice(j, close);
    trimNext = /[ \t\r\n]-$/.test(body);
    if (trimNext) body = body.slice(0, -1);
    parts.push({ body: body.trim() });
    i = close + CLOSE.length;
  }
  return parts;
}

/** The `>>` closing an action, skipping string literals (a `">>"` inside quotes is text). */
function findClose(src: string, from: number): number {
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === '"' || c === '`' || c === "'") {
      const end = c === '`' ? src.indexOf('`', i + 1) : closingQuote(src, i, c);
      if (end < 0) throw new TemplateSyntaxError(`unterminated ${c === '`' ? 'raw string' : 'quoted string'}`);
      i = end + 1;
      continue;
    }
    if (src.startsWith(CLOSE, i)) return i;
    i++;
  }
  throw new TemplateSyntaxError(`unclosed action: missing "${CLOSE}"`);
}

function closingQuote(src: string, start: number, q: string): number {
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === q) return i;
    else if (src[i] === '\n') return -1;
  }
  return -1;
}

type Token =
  /** `adj`: written right after the previous token (`$v.Name`), so it selects from it. */
  | { readonly t: 'field'; readonly v: string; readonly adj: boolean }
  | { readonly t: 'var'; readonly v: string }
  | { readonly t: 'ident'; readonly v: string }
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'number'; readonly v: number }
  | { readonly t: 'dot' }
  | { readonly t: 'op'; readonly v: '(' | ')' | '|' | ':=' | '=' | ',' };

function tokenize(body: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = body.slice(i);
    let m: RegExpExecArray | null;
    if (rest.startsWith(':=')) {
      out.push({ t: 'op', v: ':=' });
      i += 2;
    } else if ('()|=,'.includes(c)) {
      out.push({ t: 'op', v: c as '(' | ')' | '|' | '=' | ',' });
      i++;
    } else if (c === '"') {
      const end = closingQuote(body, i, '"');
      if (end < 0) throw new TemplateSyntaxError('unterminated quoted string');
      out.push({ t: 'string', v: unquote(body.slice(i, end + 1)) });
      i = end + 1;
    } else if (c === '`') {
      const end = body.indexOf('`', i + 1);
      if (end < 0) throw new TemplateSyntaxError('unterminated raw string');
      out.push({ t: 'string', v: body.slice(i + 1, end) });
      i = end + 1;
    } else if (c === "'") {
      throw new UnsupportedFeature('template character constant', `${rest.slice(0, 4)}…: character constants are not supported`);
    } else if ((m = /^\.[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
      out.push({ t: 'field', v: m[0].slice(1), adj: i > 0 && !/\s/.test(body[i - 1] as string) });
      i += m[0].length;
    } else if ((m = /^\$[A-Za-z0-9_]*/.exec(rest))) {
      out.push({ t: 'var', v: m[0] });
      i += m[0].length;
    } else if ((m = /^-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(rest))) {
      out.push({ t: 'number', v: Number(m[0]) });
      i += m[0].length;
    } else if (c === '.') {
      out.push({ t: 'dot' });
      i++;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
      out.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else {
      throw new TemplateSyntaxError(`unexpected "${c}" in action "${body}"`);
    }
  }
  return out;
}

function unquote(s: string): string {
  try {
    return JSON.parse(s) as string;
  } catch {
    // Go escapes JSON lacks: \a \v \' and \xNN.
    const json = s
      .replace(/\\a/g, '\\u0007')
      .replace(/\\v/g, '\\u000b')
      .replace(/\\'/g, "'")
      .replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1');
    try {
      return JSON.parse(json) as string;
    } catch {
      throw new TemplateSyntaxError(`invalid quoted string ${s}`);
    }
  }
}

const CONTROL = new Set(['if', 'else', 'end', 'range', 'with']);
const REFUSED = new Set(['define', 'template', 'block', 'break', 'continue', 'call', 'html', 'js', 'urlquery', 'slice']);

class PipeParser {
  private pos = 0;

  constructor(private readonly toks: Token[], private readonly source: string) {}

  pipeline(allowDecl: boolean, allowTwoVars: boolean): Pipeline {
    const vars: string[] = [];
    let assign = false;
    if (allowDecl) {
      const save = this.pos;
      const first = this.toks[this.pos];
      if (first?.t === 'var') {
        this.pos++;
        const names = [first.v];
        if (allowTwoVars && this.peekOp(',')) {
          this.pos++;
          const second = this.toks[this.pos++];
          if (second?.t !== 'var') throw this.err('expected a variable after ","');
          names.push(second.v);
        }
        const op = this.toks[this.pos];
        if (op?.t === 'op' && (op.v === ':=' || op.v === '=')) {
          this.pos++;
          vars.push(...names);
          assign = op.v === '=';
        } else {
          this.pos = save;
        }
      }
    }
    const cmds: Command[] = [];
    for (;;) {
      cmds.push(this.command());
      if (!this.peekOp('|')) break;
      this.pos++;
    }
    return { vars, assign, cmds };
  }

  done(): void {
    if (this.pos < this.toks.length) throw this.err('unexpected trailing tokens');
  }

  private command(): Command {
    const args: Operand[] = [];
    while (this.pos < this.toks.length) {
      const tok = this.toks[this.pos] as Token;
      if (tok.t === 'op' && (tok.v === '|' || tok.v === ')')) break;
      args.push(this.operand());
    }
    if (args.length === 0) throw this.err('missing value for command');
    return { args };
  }

  private operand(): Operand {
    const tok = this.toks[this.pos++] as Token;
    switch (tok.t) {
      case 'string':
        return { kind: 'literal', value: tok.v };
      case 'number':
        return { kind: 'literal', value: tok.v };
      case 'dot':
        return { kind: 'dot', fields: [] };
      case 'field':
        return { kind: 'dot', fields: [tok.v, ...this.fields()] };
      case 'var':
        return { kind: 'var', name: tok.v, fields: this.fields() };
      case 'ident':
        if (tok.v === 'true' || tok.v === 'false') return { kind: 'literal', value: tok.v === 'true' };
        if (tok.v === 'nil') return { kind: 'literal', value: null };
        if (FUNCTIONS.has(tok.v)) return { kind: 'func', name: tok.v };
        if (CONTROL.has(tok.v)) throw this.err(`unexpected "${tok.v}"`);
        throw new UnsupportedFeature(`template function "${tok.v}"`, `in "${this.source}"; supported: ${[...FUNCTIONS].join(', ')}`);
      case 'op':
        if (tok.v === '(') {
          const pipe = this.pipeline(false, false);
          if (!this.peekOp(')')) throw this.err('missing ")"');
          this.pos++;
          return { kind: 'sub', pipe, fields: this.fields() };
        }
        throw this.err(`unexpected "${tok.v}"`);
    }
  }

  /** `.A.B` directly after an operand (the tokenizer yields them as separate field tokens). */
  private fields(): string[] {
    const out: string[] = [];
    for (let t = this.toks[this.pos]; t?.t === 'field' && t.adj; t = this.toks[this.pos]) {
      out.push(t.v);
      this.pos++;
    }
    return out;
  }

  private peekOp(v: string): boolean {
    const t = this.toks[this.pos];
    return t?.t === 'op' && t.v === v;
  }

  private err(msg: string): TemplateSyntaxError {
    return new TemplateSyntaxError(`${msg} in action "${this.source}"`);
  }
}

function parsePipe(body: string, allowDecl: boolean, allowTwoVars = false): Pipeline {
  const p = new PipeParser(tokenize(body), body);
  const pipe = p.pipeline(allowDecl, allowTwoVars);
  p.done();
  return pipe;
}

interface Frame {
  readonly kind: 'root' | 'if' | 'with' | 'range';
  readonly pipe?: Pipeline;
  then: Node[];
  else?: Node[];
  /** `else if` opened an implicit nested frame that the same `end` closes. */
  readonly chained: boolean;
}

/** Parses a template; throws TemplateSyntaxError or UnsupportedFeature. */
export function parseTemplate(src: string): Node[] {
  const root: Frame = { kind: 'root', then: [], chained: false };
  const stack: Frame[] = [root];
  const top = () => stack[stack.length - 1] as Frame;
  const target = (f: Frame) => f.else ?? f.then;
  const closeFrame = () => {
    const f = stack.pop() as Frame;
    const node = { kind: f.kind, pipe: f.pipe, then: f.then, ...(f.else ? { else: f.else } : {}) } as Node;
    target(top()).push(node);
    return f;
  };
  for (const part of split(src)) {
    if (typeof part === 'string') {
      target(top()).push({ kind: 'text', text: part });
      continue;
    }
    const body = part.body;
    if (body.startsWith('/*')) {
      if (!body.endsWith('*/')) throw new TemplateSyntaxError('unclosed comment');
      continue;
    }
    const word = /^[A-Za-z_]+/.exec(body)?.[0] ?? '';
    const rest = body.slice(word.length).trim();
    if (REFUSED.has(word)) throw new UnsupportedFeature(`template action "${word}"`, `in "${body}" is not supported`);
    if (word === 'if' || word === 'with' || word === 'range') {
      if (rest === '') throw new TemplateSyntaxError(`missing value for ${word}`);
      stack.push({ kind: word, pipe: parsePipe(rest, word !== 'if', word === 'range'), then: [], chained: false });
    } else if (word === 'else') {
      const f = top();
      if (f.kind === 'root' || f.else) throw new TemplateSyntaxError('unexpected else');
      f.else = [];
      const chain = /^(if|with)\b/.exec(rest)?.[1] as 'if' | 'with' | undefined;
      if (chain) {
        stack.push({ kind: chain, pipe: parsePipe(rest.slice(chain.length).trim(), chain === 'with'), then: [], chained: true });
      } else if (rest !== '') {
        throw new TemplateSyntaxError(`unexpected "${rest}" after else`);
      }
    } else if (word === 'end') {
      if (rest !== '') throw new TemplateSyntaxError(`unexpected "${rest}" after end`);
      if (top().kind === 'root') throw new TemplateSyntaxError('unexpected end');
      while (closeFrame().chained) {
        /* an `else if` chain ends with its parent */
      }
    } else {
      target(top()).push({ kind: 'action', pipe: parsePipe(body, true) });
    }
  }
  if (stack.length > 1) throw new TemplateSyntaxError(`unexpected EOF: missing end for ${top().kind}`);
  return root.then;
}
