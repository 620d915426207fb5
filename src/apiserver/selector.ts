import type { Labels, Selector } from '../util/labels.js';
import { compareStrings, parseInt64, parseRequirements, type Requirement } from './selector-parser.js';

export { MAX_SELECTOR_LENGTH, SelectorParseError } from './selector-parser.js';
export type { Requirement, SelectorOperator } from './selector-parser.js';

/** metav1.LabelSelectorRequirement. */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** metav1.LabelSelector (both fields omitempty). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** A parsed `labels.Parse` selector: an AND of requirements, sorted by key like Go's. */
export class ParsedSelector implements Selector {
  readonly requirements: readonly Requirement[];

  constructor(requirements: readonly Requirement[]) {
    // Stable sort: Go's sort.Sort(ByKey) leaves equal keys in unspecified order, any order is faithful.
    this.requirements = Object.freeze([...requirements].sort((a, b) => compareStrings(a.key, b.key)));
  }

  matches(labels: Labels): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels));
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  mentions(key: string): boolean {
    return this.requirements.some((r) => r.key === key);
  }

  pinnedValues(): ReadonlyMap<string, readonly string[]> {
    const pinned = new Map<string, readonly string[]>();
    for (const r of this.requirements) {
      if (r.operator === '=' || r.operator === '==' || r.operator === 'in') pinned.set(r.key, r.values);
    }
    return pinned;
  }

  /** Go's `labels.Selector.String()`: `a=b,c in (d,e),!f`. */
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }

  /**
   * The metav1.LabelSelector echoed in `metric.selector` (v1beta2) / `selector` (v1beta1);
   * null when empty. Like Go's ParseToLabelSelector, `!=` becomes NotIn. `gt`/`lt` have no
   * LabelSelector form (Go refuses the whole conversion); they are left out, so the echo is
   * informational only and may select more than the query did. HPA never reads it.
   */
  toLabelSelector(): LabelSelector | null {
    if (this.isEmpty()) return null;
    const matchLabels: Record<string, string> = {};
    const matchExpressions: LabelSelectorRequirement[] = [];
    for (const r of this.requirements) {
      const value = r.values[0] ?? '';
      const isEquality = r.operator === '=' || r.operator === '==';
      if (isEquality && !Object.hasOwn(matchLabels, r.key)) matchLabels[r.key] = value;
      else {
        const expr = toExpression(r);
        if (expr !== undefined) matchExpressions.push(expr);
      }
    }
    const out: LabelSelector = {};
    if (Object.keys(matchLabels).length > 0) out.matchLabels = matchLabels;
    if (matchExpressions.length > 0) out.matchExpressions = matchExpressions;
    return out;
  }
}

/** Parses a Kubernetes label selector string; `""` selects everything. Throws SelectorParseError. */
export function parseSelector(input: string): ParsedSelector {
  return new ParsedSelector(parseRequirements(input));
}

/** Selects every label set. */
export const everything: ParsedSelector = new ParsedSelector([]);

function toExpression(r: Requirement): LabelSelectorRequirement | undefined {
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return { key: r.key, operator: 'In', values: [...r.values] };
    case '!=':
    case 'notin':
      return { key: r.key, operator: 'NotIn', values: [...r.values] };
    case 'exists':
      return { key: r.key, operator: 'Exists' };
    case '!':
      return { key: r.key, operator: 'DoesNotExist' };
    case 'gt':
    case 'lt':
      return undefined;
  }
}

function requirementMatches(r: Requirement, labels: Labels): boolean {
  // Object.hasOwn: a label set is a plain record, and `constructor` must not count as present.
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return value !== undefined && r.values.includes(value);
    case '!=':
    case 'notin':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt':
      return compareMatches(r, value);
  }
}

/** `k>N`/`k<N`: the label must exist and parse as an int64, as in Go. */
function compareMatches(r: Requirement, value: string | undefined): boolean {
  const actual = value === undefined ? undefined : parseInt64(value);
  const bound = parseInt64(r.values[0] ?? '');
  if (actual === undefined || bound === undefined) return false;
  return r.operator === 'gt' ? actual > bound : actual < bound;
}

const OPERATOR_TEXT: Readonly<Record<Requirement['operator'], string>> = {
  '=': '=',
  '==': '==',
  '!=': '!=',
  in: ' in ',
  notin: ' notin ',
  gt: '>',
  lt: '<',
  exists: '',
  '!': '',
};

function requirementString(r: Requirement): string {
  if (r.operator === 'exists') return r.key;
  if (r.operator === '!') return `!${r.key}`;
  const values = r.values.join(',');
  const rendered = r.operator === 'in' || r.operator === 'notin' ? `(${values})` : values;
  return `${r.key}${OPERATOR_TEXT[r.operator]}${rendered}`;
}
