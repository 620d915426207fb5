export { SelfMetrics } from './self-metrics.js';
export { createHttpApp } from './http-app.js';
export { registerQueueExporter } from './queue-exporter.js';
