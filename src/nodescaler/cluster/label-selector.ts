import type { V1LabelSelector, V1PodDisruptionBudget } from '@kubernetes/client-node';

/**
 * metav1.LabelSelector matching (matchLabels AND matchExpressions In/NotIn/Exists/DoesNotExist),
 * and which PodDisruptionBudgets select a pod. policy/v1 semantics: a null selector selects no
 * pod, an empty one (`{}`) every pod of the PDB's namespace. A selector the API would reject
 * (unknown operator, In without values) selects nothing, as the disruption controller skips it.
 */

export type LabelPredicate = (labels: Readonly<Record<string, string>>) => boolean;

const NOTHING: LabelPredicate = () => false;
const EVERYTHING: LabelPredicate = () => true;

export function compileLabelSelector(selector: V1LabelSelector | null | undefined): LabelPredicate {
  if (!selector) return NOTHING;
  const tests: LabelPredicate[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) tests.push((l) => l[key] === value);
  for (const req of selector.matchExpressions ?? []) {
    const test = requirement(req.key, req.operator, req.values ?? []);
    if (!test) return NOTHING;
    tests.push(test);
  }
  if (tests.length === 0) return EVERYTHING;
  return (labels) => tests.every((t) => t(labels));
}

function requirement(key: string, operator: string, values: readonly string[]): LabelPredicate | undefined {
  switch (operator) {
    case 'In':
      return values.length === 0 ? undefined : (l) => has(values, l[key]);
    case 'NotIn':
      return values.length === 0 ? undefined : (l) => !has(values, l[key]);
    case 'Exists':
      return (l) => l[key] !== undefined;
    case 'DoesNotExist':
      return (l) => l[key] === undefined;
    default:
      return undefined;
  }
}

function has(values: readonly string[], value: string | undefined): boolean {
  return value !== undefined && values.includes(value);
}

/**
 * PodDisruptionBudgets by namespace with their selectors compiled once, so matching a snapshot's
 * 30 000 pods costs one map lookup and a few predicate calls per pod.
 */
export class PdbIndex {
  private readonly byNamespace = new Map<string, Array<{ key: string; test: LabelPredicate }>>();

  constructor(pdbs: readonly V1PodDisruptionBudget[]) {
    for (const pdb of pdbs) {
      const { name, namespace = '' } = pdb.metadata ?? {};
      if (!name) continue;
      const entry = { key: `${namespace}/${name}`, test: compileLabelSelector(pdb.spec?.selector) };
      const list = this.byNamespace.get(namespace);
      if (list) list.push(entry);
      else this.byNamespace.set(namespace, [entry]);
    }
  }

  /** `namespace/name` of every PDB that selects a pod with these labels in `namespace`; undefined when none. */
  matching(namespace: string, labels: Readonly<Record<string, string>>): string[] | undefined {
    let out: string[] | undefined;
    for (const pdb of this.byNamespace.get(namespace) ?? []) if (pdb.test(labels)) (out ??= []).push(pdb.key);
    return out;
  }
}
