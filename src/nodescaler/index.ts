export { decide } from './decide.js';
export { emptyState } from './state.js';
export {
  TIERS,
  drainTimeoutSeconds,
  loadNodeScalerConfig,
  nodeScalerConfigSchema,
  parseNodeScalerConfig,
  poolFloor,
  slotsPerNode,
  type ActuatorRef,
  type NodeScalerConfig,
  type PoolConfig,
  type Tier,
} from './config.js';
export { accrued, estimateCost, idleCost, interruptionOverheadMonthly, type CostEstimate, type PoolCount } from './cost.js';
export { hourOfWeek, leadTimeMinutes, predict, prewarmTarget, suppressBucket, type DemandSample, type Prediction } from './predictor.js';
export { detectCapacityType, detectInterruption, detectProvider, type NodeSignals } from './signals.js';
export { formatPlanSummary, nodeScalerCommand, planFromFiles } from './plan-command.js';
export { readSnapshotFile } from './snapshot-file.js';
export { ANNOTATION, TAINT } from './names.js';
export type * from './types.js';
