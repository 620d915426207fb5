import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/index.js';

/**
 * prometheus-adapter's configuration file (pkg/config/config.go), parsed strictly like
 * its `yaml.UnmarshalStrict`: an unknown or misspelt key is a load error naming its path.
 */
const seriesFilter = z
  .strictObject({ is: z.string().optional(), isNot: z.string().optional() })
  .refine((f) => (f.is === undefined) !== (f.isNot === undefined), 'set exactly one of "is" and "isNot"');

const groupResource = z.strictObject({ group: z.string().optional(), resource: z.string().min(1) });

const resourceMapping = z.strictObject({
  template: z.string().optional(),
  overrides: z.record(z.string(), groupResource).nullish(),
  namespaced: z.boolean().optional(),
});

const nameMapping = z.strictObject({ matches: z.string().optional(), as: z.string().optional() });

const discoveryRule = z.strictObject({
  seriesQuery: z.string().min(1, 'seriesQuery is required'),
  seriesFilters: z.array(seriesFilter).nullish(),
  resources: resourceMapping.nullish(),
  name: nameMapping.nullish(),
  metricsQuery: z.string().min(1, 'metricsQuery is required'),
});

const resourceRule = z.strictObject({
  containerQuery: z.string().optional(),
  nodeQuery: z.string().optional(),
  resources: resourceMapping.nullish(),
  containerLabel: z.string().optional(),
});

const resourceRules = z.strictObject({
  cpu: resourceRule.nullish(),
  memory: resourceRule.nullish(),
  window: z.string().optional(),
});

export const adapterConfigSchema = z.strictObject({
  rules: z.array(discoveryRule).nullish(),
  externalRules: z.array(discoveryRule).nullish(),
  resourceRules: resourceRules.nullish(),
});

export type AdapterConfig = z.infer<typeof adapterConfigSchema>;
export type DiscoveryRule = z.infer<typeof discoveryRule>;
export type ResourceMapping = z.infer<typeof resourceMapping>;

/** Reading or validating the file failed; the message names the file and the field path. */
export class AdapterConfigError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterConfigError';
  }
}

export function parseAdapterConfig(raw: unknown, origin: string): AdapterConfig {
  const data = raw ?? {};
  if (looksLikeHelmValues(data)) {
    throw new AdapterConfigError(
      `${origin}: rules is a mapping (default/custom/external/resource): this is the Helm chart's values layout; ` +
        'give the rendered config file (the ConfigMap\'s config.yaml), whose rules/externalRules are lists',
    );
  }
  const r = adapterConfigSchema.safeParse(data);
  if (r.success) return r.data;
  throw new AdapterConfigError(r.error.issues.map((i) => `${origin}: ${formatPath(i.path)}: ${i.message}`).join('\n'));
}

export function loadAdapterConfigFile(file: string): AdapterConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AdapterConfigError(`--prometheus-adapter-config ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new AdapterConfigError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  return parseAdapterConfig(raw, file);
}

function looksLikeHelmValues(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  const rules = (raw as { rules?: unknown }).rules;
  return typeof rules === 'object' && rules !== null && !Array.isArray(rules);
}

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}
