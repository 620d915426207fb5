import type { Logger } from '../util/log.js';
import { compileAdapterConfig, type CompiledConfig } from './compile.js';
import { loadAdapterConfigFile } from './schema.js';

/**
 * Reads, validates and compiles `--prometheus-adapter-config FILE`, and logs one warning
 * line per rule and unsupported feature. Strict mode throws instead of warning.
 */
export function loadPromAdapterConfig(file: string, strict: boolean, log: Logger): CompiledConfig {
  const compiled = compileAdapterConfig(loadAdapterConfigFile(file), file, strict);
  for (const i of compiled.issues) {
    log.warn(
      { file, rule: i.rule, seriesQuery: i.seriesQuery, feature: i.feature, effect: i.effect, detail: i.detail },
      `prometheus-adapter config: ${i.rule}: unsupported: ${i.feature} (${i.effect})`,
    );
  }
  const custom = compiled.rules.filter((r) => r.api === 'custom').length;
  log.info({ file, rules: custom, externalRules: compiled.rules.length - custom, issues: compiled.issues.length }, 'prometheus-adapter config loaded');
  return compiled;
}
