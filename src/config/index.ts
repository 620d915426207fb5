export { configSchema, type Config, type PrometheusRuleConfig } from './schema.js';
export { ConfigError, loadConfigFile, parseConfig } from './load.js';
