/**
 * Parser for the Prometheus text exposition format (version 0.0.4), as served by
 * dcgm-exporter and the kubelet's /metrics/cadvisor.
 *
 * Hand-written rather than taken from npm: the one candidate, parse-prometheus-text-format
 * (two releases, untyped, Babel 7.5/Rollup 1-era build), groups samples into families with
 * values left as strings, and has no name filter or line-numbered errors. This one is
 * line-based, allocates little beyond the samples it returns, and skips unwanted metric
 * names before touching their labels (kubelet cAdvisor bodies run to megabytes).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LabelSets } from './label-sets.js';

/** One sample line. `value` may be NaN or ±Inf; callers decide what to keep. */
export interface PromSample {
  readonly name: string;
  /** Null-prototype object, so a label called `__proto__` is stored like any other. */
  readonly labels: Record<string, string>;
  readonly value: number;
  /** The optional trailing timestamp, epoch ms. */
  readonly timestampMs?: number;
}

export interface PromTextOptions {
  /** Keep only samples with these metric names; other lines are skipped unparsed. */
  readonly names?: ReadonlySet<string>;
  /**
   * Keep only these labels in `labels`; the others are still checked for syntax (but not
   * for duplicates). A GPU line carries ~10 labels of which a consumer may need half.
   */
  readonly labels?: ReadonlySet<string>;
  /**
   * Shares one label object per distinct label text, across calls (see label-sets.ts). With
   * it, `labels` of a sample may be an object other samples (and earlier polls) got too:
   * read it, never change it.
   */
  readonly labelSets?: LabelSets;
}

/** Lines parsed between two turns of the event loop in parsePromStream (~1 ms of a dcgm-exporter body, also while a full GC marks alongside). */
const LINES_PER_TURN = 100;

/** A malformed line; the message names the 1-based line number. */
export class PromTextError extends Error {
  constructor(
    readonly line: number,
    reason: string,
    text: string,
  ) {
    super(`line ${line}: ${reason}: ${text.length > 120 ? `${text.slice(0, 120)}…` : text}`);
    this.name = 'PromTextError';
  }
}

/** Parses a whole exposition body. Comments (HELP, TYPE, others) and blank lines are skipped. */
export function parsePromText(body: string, options: PromTextOptions = {}): PromSample[] {
  const out: PromSample[] = [];
  const memo = new NameMemo();
  let start = 0;
  let lineNo = 0;
  while (start < body.length) {
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    lineNo++;
    const sample = parseLine(body.slice(start, end), lineNo, options.names, memo, options.labels, options.labelSets);
    if (sample) out.push(sample);
    start = end + 1;
  }
  return out;
}

/**
 * parsePromText for a body that is still arriving, one sample at a time to `onSample`, so
 * the caller keeps only what it needs and the whole text never sits in memory. Lets the
 * event loop run every LINES_PER_TURN lines: parsing a 10 000-GPU dcgm-exporter body (~9 MB)
 * in one go would hold every API request behind it for hundreds of milliseconds.
 */
export async function parsePromStream(
  body: AsyncIterable<Uint8Array>,
  options: PromTextOptions,
  onSample: (sample: PromSample) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  const memo = new NameMemo();
  let lineNo = 0;
  let rest = '';
  const take = (line: string) => {
    const sample = parseLine(line, ++lineNo, options.names, memo, options.labels, options.labelSets);
    if (sample) onSample(sample);
  };
  for await (const chunk of body) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      take(text.slice(start, end));
      start = end + 1;
      // Buffered chunks resolve as microtasks, which never let I/O in: yield explicitly.
      if (lineNo % LINES_PER_TURN === 0) await nextTurn();
    }
    rest = text.slice(start);
  }
  rest += decoder.decode();
  if (rest !== '') take(rest);
}

/** Parses one line; undefined for comments, blank lines and filtered-out names. */
export function parseLine(
  line: string,
  lineNo: number,
  names?: ReadonlySet<string>,
  memo: NameMemo = new NameMemo(),
  keepLabels?: ReadonlySet<string>,
  labelSets?: LabelSets,
): PromSample | undefined {
  const p = new LineCursor(line, lineNo, memo, keepLabels);
  p.skipSpaces();
  if (p.done() || p.code() === HASH) return undefined;
  const name = p.metricName();
  if (names && !names.has(name)) return undefined;
  const labels = p.code() === LBRACE ? labelBlock(p, line, labelSets) : (Object.create(null) as Record<string, string>);
  if (!p.skipSpaces()) p.fail(p.done() ? 'missing value' : 'expected a space before the value');
  const value = parseValue(p.token(), p);
  p.skipSpaces();
  if (p.done()) return { name, labels, value };
  const timestampMs = parseTimestamp(p.token(), p);
  p.skipSpaces();
  if (!p.done()) p.fail('unexpected text after the timestamp');
  return { name, labels, value, timestampMs };
}

/**
 * The `{…}` block at the cursor. With `labelSets`, text seen before is not parsed again: the
 * block ends at the line's last `}`, since neither the value nor the timestamp may contain
 * one, and text that once parsed as a whole block parses the same way again.
 */
function labelBlock(p: LineCursor, line: string, labelSets: LabelSets | undefined): Record<string, string> {
  const open = p.at();
  const close = labelSets ? line.lastIndexOf('}') : -1;
  const text = close > open ? line.slice(open + 1, close) : undefined;
  const shared = text === undefined ? undefined : labelSets?.get(text);
  if (shared) {
    p.moveTo(close + 1);
    return shared;
  }
  const labels = Object.create(null) as Record<string, string>;
  p.labels(labels);
  // The parser agreeing on where the block ends is what makes the text a key.
  return labelSets && text !== undefined && p.at() === close + 1 ? labelSets.add(text, labels) : labels;
}

const HASH = 35;
const QUOTE = 34;
const COMMA = 44;
const EQUALS = 61;
const LBRACE = 123;
const RBRACE = 125;

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^-?\d+$/;

function parseValue(tok: string, p: LineCursor): number {
  if (NUMBER.test(tok)) return Number(tok);
  // Go's strconv.ParseFloat spellings, which is what exporters print.
  switch (tok.toLowerCase()) {
    case 'nan':
      return NaN;
    case '+inf':
    case 'inf':
      return Infinity;
    case '-inf':
      return -Infinity;
  }
  return p.fail(`invalid value "${tok}"`);
}

function parseTimestamp(tok: string, p: LineCursor): number {
  if (!INTEGER.test(tok)) p.fail(`invalid timestamp "${tok}"`);
  return Number(tok);
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58; // a-z A-Z _ :
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

/**
 * The names seen on the previous line. Consecutive lines nearly always repeat the metric
 * name and label names in the same order; reusing those strings skips a slice and V8's
 * key internalisation per label, which dominate the cost of parsing large bodies.
 */
export class NameMemo {
  metric = '';
  readonly labels: string[] = [];
}

/** Position within one line plus the small token readers the grammar needs. */
class LineCursor {
  private i = 0;
  private readonly end: number;
  /** Most lines have no backslash at all; then a label value is one indexOf and one slice. */
  private readonly plain: boolean;

  constructor(
    private readonly s: string,
    private readonly lineNo: number,
    private readonly memo: NameMemo,
    private readonly keep?: ReadonlySet<string>,
  ) {
    // Tolerate CRLF bodies.
    this.end = s.endsWith('\r') ? s.length - 1 : s.length;
    this.plain = !s.includes('\\');
  }

  at(): number {
    return this.i;
  }

  moveTo(i: number): void {
    this.i = i;
  }

  done(): boolean {
    return this.i >= this.end;
  }

  /** Char code at the cursor, NaN at the end (compares unequal to everything). */
  code(): number {
    return this.i < this.end ? this.s.charCodeAt(this.i) : NaN;
  }

  fail(reason: string): never {
    throw new PromTextError(this.lineNo, reason, this.s.slice(0, this.end));
  }

  /** Skips spaces and tabs; true when at least one was skipped. */
  skipSpaces(): boolean {
    const from = this.i;
    while (this.i < this.end) {
      const c = this.s.charCodeAt(this.i);
      if (c !== 32 && c !== 9) break;
      this.i++;
    }
    return this.i > from;
  }

  /** Characters up to the next space or tab. */
  token(): string {
    const from = this.i;
    while (this.i < this.end) {
      const c = this.s.charCodeAt(this.i);
      if (c === 32 || c === 9) break;
      this.i++;
    }
    return this.s.slice(from, this.i);
  }

  metricName(): string {
    const name = this.identifier('metric name', true, this.memo.metric);
    this.memo.metric = name;
    return name;
  }

  /** `{name="value",...}` with an optional trailing comma, into `into`. */
  labels(into: Record<string, string>): void {
    this.i++; // '{'
    const seen = this.memo.labels;
    for (let k = 0; ; k++) {
      this.skipSpaces();
      if (this.code() === RBRACE) break;
      const name = this.identifier('label name', false, seen[k]);
      seen[k] = name;
      this.skipSpaces();
      this.expect(EQUALS, '=');
      this.skipSpaces();
      if (Object.prototype.hasOwnProperty.call(into, name)) this.fail(`duplicate label "${name}"`);
      const value = this.quoted();
      if (!this.keep || this.keep.has(name)) into[name] = value;
      this.skipSpaces();
      const c = this.code();
      if (c === COMMA) this.i++;
      else if (c !== RBRACE) this.fail('expected "," or "}" after a label value');
    }
    this.i++; // '}'
  }

  private identifier(what: string, colon: boolean, guess: string | undefined): string {
    const from = this.i;
    if (guess && this.s.startsWith(guess, from)) {
      const after = from + guess.length;
      if (after >= this.end || !isNameChar(this.s.charCodeAt(after))) {
        this.i = after;
        return guess;
      }
    }
    if (this.done() || !isNameStart(this.s.charCodeAt(this.i))) this.fail(`invalid ${what}`);
    while (this.i < this.end && isNameChar(this.s.charCodeAt(this.i))) this.i++;
    const id = this.s.slice(from, this.i);
    if (!colon && id.includes(':')) this.fail(`invalid ${what} "${id}"`);
    return id;
  }

  private expect(code: number, ch: string): void {
    if (this.code() !== code) this.fail(`expected "${ch}"`);
    this.i++;
  }

  /** A double-quoted label value with the escapes \\, \" and \n. */
  private quoted(): string {
    this.expect(QUOTE, '"');
    const from = this.i;
    if (this.plain) {
      const q = this.s.indexOf('"', from);
      if (q < 0 || q >= this.end) this.fail('unterminated label value');
      this.i = q + 1;
      return this.s.slice(from, q);
    }
    while (this.i < this.end) {
      const c = this.s.charCodeAt(this.i);
      if (c === 34) return this.s.slice(from, this.i++);
      if (c === 92) return this.s.slice(from, this.i) + this.escapedRest();
      this.i++;
    }
    return this.fail('unterminated label value');
  }

  private escapedRest(): string {
    let out = '';
    while (this.i < this.end) {
      const ch = this.s[this.i++];
      if (ch === '"') return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const next = this.s[this.i++];
      if (next === '\\' || next === '"') out += next;
      else if (next === 'n') out += '\n';
      else this.fail(`invalid escape sequence "\\${next ?? ''}"`);
    }
    return this.fail('unterminated label value');
  }
}
