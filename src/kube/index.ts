export { resolveClusterAccess, type ClusterAccess } from './client.js';
export { LiveObjects } from './live-objects.js';
