import type { Command, Node, Operand, Pipeline } from './template-parse.js';

/**
 * Executes a parsed template the way Go's text/template does for the values a
 * prometheus-adapter query template sees: strings, numbers, booleans, nil, string
 * slices (`[]string`), string maps (`map[string]string`, a JS Map) and the data struct
 * (a plain object whose unknown fields are errors).
 */
export type Value = string | number | boolean | null | undefined | readonly Value[] | ReadonlyMap<string, string> | Struct;

export interface Struct {
  readonly [field: string]: Value;
}

export class TemplateExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

class Scope {
  private readonly vars: Map<string, Value>[] = [];

  constructor(root: Value) {
    this.vars.push(new Map([['$', root]]));
  }

  push(): void {
    this.vars.push(new Map());
  }

  pop(): void {
    this.vars.pop();
  }

  declare(name: string, v: Value): void {
    (this.vars[this.vars.length - 1] as Map<string, Value>).set(name, v);
  }

  assign(name: string, v: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const m = this.vars[i] as Map<string, Value>;
      if (m.has(name)) {
        m.set(name, v);
        return;
      }
    }
    throw new TemplateExecError(`undefined variable: ${name}`);
  }

  get(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const m = this.vars[i] as Map<string, Value>;
      if (m.has(name)) return m.get(name);
    }
    throw new TemplateExecError(`undefined variable: ${name}`);
  }
}

export function execute(nodes: readonly Node[], data: Struct): string {
  const out: string[] = [];
  walk(nodes, data, new Scope(data), out);
  return out.join('');
}

function walk(nodes: readonly Node[], dot: Value, scope: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.kind) {
      case 'text':
        out.push(n.text);
        break;
      case 'action': {
        const v = pipeline(n.pipe, dot, scope);
        if (n.pipe.vars.length === 0) out.push(print(v));
        break;
      }
      case 'if':
      case 'with': {
        scope.push();
        const v = pipeline(n.pipe, dot, scope);
        if (truthy(v)) walk(n.then, n.kind === 'with' ? v : dot, scope, out);
        else if (n.else) walk(n.else, dot, scope, out);
        scope.pop();
        break;
      }
      case 'range':
        range(n, dot, scope, out);
        break;
    }
  }
}

function range(n: Extract<Node, { kind: 'range' }>, dot: Value, scope: Scope, out: string[]): void {
  scope.push();
  const over = pipeline({ ...n.pipe, vars: [] }, dot, scope);
  const entries: [Value, Value][] = [];
  if (Array.isArray(over)) (over as readonly Value[]).forEach((v, i) => entries.push([i, v]));
  else if (over instanceof Map) for (const k of [...over.keys()].sort()) entries.push([k, over.get(k)]);
  else if (typeof over === 'number' && Number.isInteger(over)) for (let i = 0; i < over; i++) entries.push([i, i]);
  else if (over !== null && over !== undefined) throw new TemplateExecError(`range can't iterate over ${print(over)}`);
  const [first, second] = n.pipe.vars;
  for (const [k, v] of entries) {
    scope.push();
    if (second !== undefined) {
      scope.declare(first as string, k);
      scope.declare(second, v);
    } else if (first !== undefined) {
      scope.declare(first, v);
    }
    walk(n.then, v, scope, out);
    scope.pop();
  }
  if (entries.length === 0 && n.else) walk(n.else, dot, scope, out);
  scope.pop();
}

function pipeline(p: Pipeline, dot: Value, scope: Scope): Value {
  let v: Value = undefined;
  p.cmds.forEach((c, i) => {
    v = command(c, dot, scope, i === 0 ? undefined : { value: v });
  });
  if (p.vars.length > 0) {
    const name = p.vars[p.vars.length - 1] as string;
    if (p.assign) scope.assign(name, v);
    else scope.declare(name, v);
  }
  return v;
}

function command(c: Command, dot: Value, scope: Scope, piped: { value: Value } | undefined): Value {
  const [head, ...rest] = c.args;
  if (head?.kind === 'func') {
    // and/or evaluate lazily, as Go 1.18+ does.
    const args = rest.map((a) => () => operand(a, dot, scope));
    if (piped) args.push(() => piped.value);
    return call(head.name, args);
  }
  if (rest.length > 0 || piped) throw new TemplateExecError(`can't give argument to non-function ${describe(head)}`);
  return operand(head as Operand, dot, scope);
}

function operand(o: Operand, dot: Value, scope: Scope): Value {
  switch (o.kind) {
    case 'literal':
      return o.value;
    case 'dot':
      return fields(dot, o.fields);
    case 'var':
      return fields(scope.get(o.name), o.fields);
    case 'sub':
      return fields(pipeline(o.pipe, dot, scope), o.fields);
    case 'func':
      return call(o.name, []);
  }
}

function fields(v: Value, names: readonly string[]): Value {
  let cur = v;
  for (const name of names) {
    if (cur instanceof Map) {
      // Go prints a missing map key selected by field syntax as "<no value>".
      cur = cur.get(name);
    } else if (typeof cur === 'object' && cur !== null && !Array.isArray(cur) && Object.hasOwn(cur, name)) {
      cur = (cur as Struct)[name];
    } else {
      throw new TemplateExecError(`can't evaluate field ${name} in ${typeName(cur)}`);
    }
  }
  return cur;
}

type Thunk = () => Value;

function call(name: string, args: Thunk[]): Value {
  const all = () => args.map((a) => a());
  switch (name) {
    case 'index':
      return index(all());
    case 'len':
      return len(one(name, all()));
    case 'not':
      return !truthy(one(name, all()));
    case 'and': {
      if (args.length === 0) throw new TemplateExecError('and: wrong number of args');
      let v: Value = undefined;
      for (const a of args) if (!truthy((v = a()))) return v;
      return v;
    }
    case 'or': {
      if (args.length === 0) throw new TemplateExecError('or: wrong number of args');
      let v: Value = undefined;
      for (const a of args) if (truthy((v = a()))) return v;
      return v;
    }
    case 'eq': {
      const [a, ...bs] = all();
      if (bs.length === 0) throw new TemplateExecError('eq: missing argument for comparison');
      return bs.some((b) => compare('eq', a, b) === 0);
    }
    case 'ne':
      return compare(name, ...two(name, all())) !== 0;
    case 'lt':
      return compare(name, ...two(name, all())) < 0;
    case 'le':
      return compare(name, ...two(name, all())) <= 0;
    case 'gt':
      return compare(name, ...two(name, all())) > 0;
    case 'ge':
      return compare(name, ...two(name, all())) >= 0;
    case 'print':
      return goPrint(all());
    case 'println':
      return `${all().map(print).join(' ')}\n`;
    case 'printf': {
      const [format, ...rest] = all();
      if (typeof format !== 'string') throw new TemplateExecError('printf: format must be a string');
      return printf(format, rest);
    }
    default:
      throw new TemplateExecError(`function "${name}" not defined`);
  }
}

function one(name: string, args: Value[]): Value {
  if (args.length !== 1) throw new TemplateExecError(`${name}: wrong number of args: want 1, got ${args.length}`);
  return args[0];
}

function two(name: string, args: Value[]): [Value, Value] {
  if (args.length !== 2) throw new TemplateExecError(`${name}: wrong number of args: want 2, got ${args.length}`);
  return [args[0], args[1]];
}

function index(args: Value[]): Value {
  const [first, ...keys] = args;
  if (args.length === 0) throw new TemplateExecError('index: wrong number of args');
  let cur = first;
  for (const k of keys) {
    if (cur instanceof Map) {
      if (typeof k !== 'string') throw new TemplateExecError(`index: map key must be a string, got ${print(k)}`);
      cur = cur.get(k) ?? ''; // zero value of map[string]string
    } else if (Array.isArray(cur)) {
      const arr = cur as readonly Value[];
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new TemplateExecError(`index: cannot index slice with ${print(k)}`);
      if (k < 0 || k >= arr.length) throw new TemplateExecError(`index: index out of range: ${k}`);
      cur = arr[k];
    } else if (cur === null || cur === undefined) {
      throw new TemplateExecError('index of untyped nil');
    } else {
      throw new TemplateExecError(`can't index item of type ${typeName(cur)}`);
    }
  }
  return cur;
}

function len(v: Value): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  throw new TemplateExecError(`len of type ${typeName(v)}`);
}

function compare(name: string, a: Value, b: Value): number {
  const basic = (x: Value) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
  if (!basic(a) || !basic(b)) throw new TemplateExecError(`${name}: invalid type for comparison`);
  if (typeof a !== typeof b) throw new TemplateExecError(`${name}: incompatible types for comparison`);
  if (typeof a === 'boolean') {
    if (name !== 'eq' && name !== 'ne') throw new TemplateExecError(`${name}: invalid type for comparison`);
    return a === b ? 0 : 1;
  }
  return (a as string | number) < (b as string | number) ? -1 : a === b ? 0 : 1;
}

export function truthy(v: Value): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

/** Go's fmt `%v`. */
export function print(v: Value): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${(v as readonly Value[]).map(print).join(' ')}]`;
  if (v instanceof Map) return `map[${[...v.keys()].sort().map((k) => `${k}:${v.get(k) ?? ''}`).join(' ')}]`;
  return `{${Object.values(v as Struct).map(print).join(' ')}}`;
}

/** fmt.Sprint: spaces only between operands when neither side is a string. */
function goPrint(args: Value[]): string {
  let out = '';
  args.forEach((a, i) => {
    const prev = args[i - 1];
    if (i > 0 && typeof a !== 'string' && typeof prev !== 'string') out += ' ';
    out += print(a);
  });
  return out;
}

function printf(format: string, args: Value[]): string {
  let i = 0;
  return format.replace(/%([-+# 0]*\d*(?:\.\d+)?)([%vsdqtf])/g, (_m, _flags: string, verb: string) => {
    if (verb === '%') return '%';
    const a = args[i++];
    if (i > args.length) return `%!${verb}(MISSING)`;
    switch (verb) {
      case 'd':
        return typeof a === 'number' && Number.isInteger(a) ? String(a) : `%!d(${print(a)})`;
      case 'f':
        return typeof a === 'number' ? a.toFixed(6) : `%!f(${print(a)})`;
      case 'q':
        return typeof a === 'string' ? goQuote(a) : `%!q(${print(a)})`;
      case 't':
        return typeof a === 'boolean' ? String(a) : `%!t(${print(a)})`;
      default:
        return print(a);
    }
  });
}

/** Go's `%q` / strconv.Quote for printable text. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

function typeName(v: Value): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return '[]string';
  if (v instanceof Map) return 'map[string]string';
  if (typeof v === 'object') return 'struct';
  return typeof v === 'number' ? 'int' : typeof v === 'boolean' ? 'bool' : 'string';
}

function describe(o: Operand | undefined): string {
  if (!o) return 'nothing';
  if (o.kind === 'dot') return `.${o.fields.join('.')}`;
  if (o.kind === 'var') return o.name + o.fields.map((f) => `.${f}`).join('');
  if (o.kind === 'literal') return JSON.stringify(o.value);
  return o.kind;
}
