import type { PoolMemory, ScalerState } from './types.js';

/** Memory for the first tick (or after a restart: everything else is re-derived from the cluster). */
export function emptyState(): ScalerState {
  return { pools: {}, nodes: {}, headroomHighSince: {}, spotShareSteps: 0 };
}

export function emptyPoolMemory(): PoolMemory {
  return { availability: { state: 'available', level: 0 }, requests: [], interruptions: [], sizeHours: [], demoted: false };
}
