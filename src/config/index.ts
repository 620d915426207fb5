export { configSchema, type Config, type PrometheusRuleConfig, type PolicyLeaderElectionConfig } from './schema.js';
export { ConfigError, loadConfigFile, parseConfig } from './load.js';
