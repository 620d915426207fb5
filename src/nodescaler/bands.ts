import type { NodeScalerConfig } from './config.js';
import { ANNOTATION, SYSTEM_PRIORITY_CLASSES } from './names.js';
import type { Band, PodInfo } from './types.js';

/** Eviction order: lowest importance first. */
export const BAND_ORDER: readonly Band[] = ['low', 'medium', 'high', 'systemCritical'];

/**
 * The eviction band of a pod (§4.7): `gpu-autoscaler.io/eviction-priority` annotation, then the
 * `gpu-autoscaler.io/workload-type` label (or annotation) through the configured map, then the
 * priority class, else medium.
 */
export function podBand(pod: PodInfo, cfg: NodeScalerConfig): Band {
  const explicit = pod.annotations[ANNOTATION.evictionPriority];
  if (explicit === 'low' || explicit === 'medium' || explicit === 'high') return explicit;
  const workload = pod.labels[ANNOTATION.workloadType] ?? pod.annotations[ANNOTATION.workloadType];
  const mapped = workload === undefined ? undefined : cfg.interruption.workloadTypeBands[workload];
  if (mapped) return mapped;
  if ((pod.priorityClassName && SYSTEM_PRIORITY_CLASSES.has(pod.priorityClassName)) || pod.priority >= 1_000_000) return 'systemCritical';
  if (pod.priority > 1000) return 'high';
  return 'medium';
}

export function bandIndex(band: Band): number {
  return BAND_ORDER.indexOf(band);
}
