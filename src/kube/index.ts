export { planClusterAccess, resolveClusterAccess, type ClusterAccess, type ClusterAccessPlan } from './client.js';
// A type only: the class loads @kubernetes/client-node, so cluster mode imports './live-objects.js' when it needs it.
export type { LiveObjects } from './live-objects.js';
export { ownNamespace } from './own-namespace.js';
// Types only, for the same reason: cluster-mode code imports './leader-election.js' itself.
export type { LeaderElector, LeaderElectorOptions } from './leader-election.js';
