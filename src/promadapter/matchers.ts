import { goQuote } from './template-exec.js';

/**
 * Kubernetes selector requirements → PromQL label matchers, as prometheus-adapter renders
 * them (`label=%q`, values joined by `|` and not regex-escaped: its deliberate passthrough).
 */
export type RequirementOp = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly op: RequirementOp;
  readonly values: readonly string[];
}

export function renderMatcher(r: Requirement): string {
  const many = r.values.length > 1;
  const joined = goQuote(r.values.join('|'));
  const need = (what: string) => {
    if (r.values.length === 0) throw new Error(`selector requirement on ${r.key}: operator ${r.op} needs ${what}`);
  };
  switch (r.op) {
    case '=':
    case '==':
      need('a value');
      return `${r.key}${many ? '=~' : '='}${joined}`;
    case '!=':
      need('a value');
      return `${r.key}${many ? '!~' : '!='}${joined}`;
    case 'in':
      need('values');
      return `${r.key}=~${joined}`;
    case 'notin':
      need('values');
      return `${r.key}!~${joined}`;
    case 'exists':
      return `${r.key}!=""`;
    case '!':
      return `${r.key}=""`;
    case 'gt':
    case 'lt':
      throw new Error(`selector requirement on ${r.key}: operator ${r.op} has no PromQL matcher`);
  }
}

export function renderMatchers(rs: readonly Requirement[]): string {
  return rs.map(renderMatcher).join(',');
}
