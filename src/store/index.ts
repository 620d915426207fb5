export { MetricStore, type ObjectValue, type SeriesValue, type ReadResult, type ReadFailure } from './metric-store.js';
export { Catalog, builtinCatalog, type MetricDef, type CustomMetricDef, type ExternalMetricDef, type Aggregation } from './catalog.js';
export { Poller, type PollObserver, type PollerOptions } from './poller.js';
export type { MetricPoint, Target, SourceHealth } from './types.js';
