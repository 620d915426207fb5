export { SelfMetrics } from './self-metrics.js';
export { createHttpApp } from './http-app.js';
