export { planClusterAccess, resolveClusterAccess, type ClusterAccess, type ClusterAccessPlan } from './client.js';
// A type only: the class loads @kubernetes/client-node, so cluster mode imports './live-objects.js' when it needs it.
export type { LiveObjects } from './live-objects.js';
