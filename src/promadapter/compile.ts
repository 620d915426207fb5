import { re2 } from './regex.js';
import { NameMapper } from './naming.js';
import { ResourceMapper } from './resources.js';
import { AdapterConfigError, type AdapterConfig, type DiscoveryRule } from './schema.js';
import { Template } from './template.js';
import { UnsupportedFeature } from './unsupported.js';

/** Something in the config this adapter does not do as prometheus-adapter would; logged by rule at start-up. */
export interface RuleIssue {
  /** `rules[0]`, `externalRules[2]`, `resourceRules`. */
  readonly rule: string;
  readonly seriesQuery?: string;
  readonly feature: string;
  readonly detail: string;
  /** `rule skipped`: nothing is served for it; `ignored`: that part is left out; `differs`: served differently. */
  readonly effect: 'rule skipped' | 'ignored' | 'differs';
}

export interface CompiledRule {
  readonly id: string;
  readonly api: 'custom' | 'external';
  readonly seriesQuery: string;
  /** `seriesFilters` (is / isNot), unanchored RE2 matches on the series name. */
  readonly filters: readonly ((series: string) => boolean)[];
  readonly name: NameMapper;
  readonly resources: ResourceMapper;
  /** Label carrying the namespace, when the mapping has one. */
  readonly namespaceLabel?: string;
  /** External rules: scope series by the request's namespace (`resources.namespaced`, default true, and a namespace label). */
  readonly namespaced: boolean;
  readonly query: Template;
}

export interface CompiledConfig {
  readonly rules: readonly CompiledRule[];
  readonly issues: readonly RuleIssue[];
}

/** Data every trial render gets: the shape our renders produce. */
const TRIAL = { Series: 'series', LabelMatchers: 'namespace!="",pod!=""', GroupBy: 'namespace,pod', GroupBySlice: ['namespace', 'pod'], LabelValuesByName: new Map([['namespace', 'ns']]) };

/**
 * Compiles every rule. Config errors prometheus-adapter would refuse too (bad regex,
 * template syntax, ambiguous `name.as`) throw AdapterConfigError naming the rule;
 * features we do not support become issues. `strict` turns any issue into an error.
 */
export function compileAdapterConfig(cfg: AdapterConfig, origin: string, strict: boolean): CompiledConfig {
  const rules: CompiledRule[] = [];
  const issues: RuleIssue[] = [];
  if (cfg.resourceRules) {
    issues.push({
      rule: 'resourceRules', feature: 'resourceRules (metrics.k8s.io)',
      detail: 'not served: this adapter serves custom.metrics.k8s.io and external.metrics.k8s.io; keep metrics-server for kubectl top and Resource metrics',
      effect: 'ignored',
    });
  }
  const each = (list: readonly DiscoveryRule[] | null | undefined, api: 'custom' | 'external', key: string) =>
    (list ?? []).forEach((r, i) => {
      const id = `${key}[${i}]`;
      const issue = (feature: string, detail: string, effect: RuleIssue['effect']) =>
        issues.push({ rule: id, seriesQuery: r.seriesQuery, feature, detail, effect });
      try {
        const compiled = compileRule(r, id, api, issue);
        if (compiled) rules.push(compiled);
      } catch (err) {
        if (err instanceof UnsupportedFeature) issue(err.feature, err.message, 'rule skipped');
        else throw new AdapterConfigError(`${origin}: ${id}: ${(err as Error).message}`);
      }
    });
  each(cfg.rules, 'custom', 'rules');
  each(cfg.externalRules, 'external', 'externalRules');
  if (strict && issues.length > 0) {
    const lines = issues.map((i) => `${origin}: ${i.rule}: ${i.feature}: ${i.detail} (${i.effect})`);
    throw new AdapterConfigError(`unsupported prometheus-adapter features (strict mode):\n${lines.join('\n')}`);
  }
  return { rules, issues };
}

function compileRule(
  r: DiscoveryRule,
  id: string,
  api: 'custom' | 'external',
  issue: (feature: string, detail: string, effect: RuleIssue['effect']) => void,
): CompiledRule | undefined {
  const filters = (r.seriesFilters ?? []).map((f) => {
    const re = re2(f.is ?? f.isNot ?? '');
    return f.is !== undefined ? (s: string) => re.test(s) : (s: string) => !re.test(s);
  });
  const name = new NameMapper(r.name?.matches, r.name?.as);
  const resources = new ResourceMapper(r.resources);
  for (const u of resources.unknownOverrides) {
    issue('resource override', `label "${u.label}" maps to "${u.resource}", which is not a resource this adapter knows; that label is ignored`, 'ignored');
  }
  const query = new Template(r.metricsQuery);
  const namespaceLabel = resources.namespaceLabel();
  let namespaced = false;
  if (api === 'custom' && query.fields.has('LabelValuesByName')) {
    throw new UnsupportedFeature(
      '.LabelValuesByName in a custom rule',
      'it holds the requested object names, which a query polling every object does not have; use <<.LabelMatchers>>',
    );
  }
  if (api === 'external') {
    namespaced = r.resources?.namespaced ?? true;
    if (namespaced && namespaceLabel === undefined) {
      issue(
        'namespaced external rule without a namespace label',
        'prometheus-adapter fails every request for it; served cluster-wide instead (set resources.namespaced: false, or map a label to namespace)',
        'differs',
      );
      namespaced = false;
    }
  }
  try {
    query.render(TRIAL);
  } catch (err) {
    throw new UnsupportedFeature('metricsQuery does not render', `${(err as Error).message}`);
  }
  return {
    id, api, seriesQuery: r.seriesQuery, filters, name, resources, namespaced, query,
    ...(namespaceLabel !== undefined ? { namespaceLabel } : {}),
  };
}
