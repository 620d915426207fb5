import type { Aggregation } from './catalog.js';

/** Combines the series of one object (e.g. the GPUs of a pod). `values` is never empty. */
export function aggregate(kind: Aggregation, values: readonly number[]): number {
  switch (kind) {
    case 'max':
      return Math.max(...values);
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'mean':
      return values.reduce((a, b) => a + b, 0) / values.length;
  }
}
