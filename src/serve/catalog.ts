import type { Config, PrometheusRuleConfig } from '../config/index.js';
import { ConfigError } from '../config/index.js';
import { Catalog, builtinCatalog, type MetricDef } from '../store/index.js';

/** Built-in metrics, plus user rules, with per-metric overrides from `metrics:` applied. */
export function buildCatalog(config: Config): Catalog {
  const interval = config.prometheus.intervalSeconds;
  const defs: MetricDef[] = [...builtinCatalog(), ...config.prometheus.rules.map((r) => ruleDef(r, interval))];
  const known = new Set(defs.map((d) => d.name));
  for (const name of Object.keys(config.metrics)) {
    if (!known.has(name)) throw new ConfigError(`metrics.${name}: no such metric (known: ${[...known].join(', ')})`);
  }
  return new Catalog(defs.map((d) => applyOverride(d, config.metrics[d.name])));
}

function ruleDef(r: PrometheusRuleConfig, intervalSeconds: number): MetricDef {
  // A rule's samples may be as old as a few of its polls before they count as stale.
  const maxAgeMs = (r.maxAgeSeconds ?? Math.max(60, 3 * intervalSeconds)) * 1000;
  const description = `rule: ${r.query}`;
  if (r.kind === 'external') return { api: 'external', name: r.name, maxAgeMs, description };
  const resource = r.kind === 'pods' ? 'pods' : r.resource;
  if (!resource) throw new ConfigError(`prometheus.rules: rule ${r.name}: kind "object" needs "resource" (e.g. deployments.apps)`);
  return { api: 'custom', name: r.name, resources: [resource], aggregation: 'max', maxAgeMs, description };
}

function applyOverride(d: MetricDef, o: Config['metrics'][string] | undefined): MetricDef {
  if (!o) return d;
  const maxAgeMs = o.maxAgeSeconds !== undefined ? o.maxAgeSeconds * 1000 : d.maxAgeMs;
  if (d.api === 'external') return { ...d, maxAgeMs };
  return { ...d, maxAgeMs, aggregation: o.aggregation ?? d.aggregation };
}
