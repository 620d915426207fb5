import { execute, type Struct } from './template-exec.js';
import { parseTemplate, type Node, type Operand, type Pipeline } from './template-parse.js';

export { TemplateSyntaxError } from './template-parse.js';
export { TemplateExecError, type Struct, type Value } from './template-exec.js';

/** A Go text/template (subset) with prometheus-adapter's `<<` `>>` delimiters, parsed once. */
export class Template {
  private readonly nodes: Node[];
  /** Top-level data fields the template reads (`.Series`, `$.GroupBy`, …). */
  readonly fields: ReadonlySet<string>;

  constructor(readonly source: string) {
    this.nodes = parseTemplate(source);
    this.fields = collectFields(this.nodes);
  }

  render(data: Struct): string {
    return execute(this.nodes, data);
  }
}

function collectFields(nodes: readonly Node[]): Set<string> {
  const out = new Set<string>();
  const pipe = (p: Pipeline) => p.cmds.forEach((c) => c.args.forEach(operand));
  const operand = (o: Operand) => {
    if ((o.kind === 'dot' || (o.kind === 'var' && o.name === '$')) && o.fields[0] !== undefined) out.add(o.fields[0]);
    if (o.kind === 'sub') pipe(o.pipe);
  };
  const walk = (ns: readonly Node[]) => {
    for (const n of ns) {
      if (n.kind === 'text') continue;
      pipe(n.pipe);
      if (n.kind !== 'action') {
        walk(n.then);
        if (n.else) walk(n.else);
      }
    }
  };
  walk(nodes);
  return out;
}
