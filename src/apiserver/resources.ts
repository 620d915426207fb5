import type { ResourceRef } from '../provider/types.js';

/**
 * The Kubernetes resources the custom metrics API knows without a RESTMapper. Go adapters
 * normalize `{resource}` through the cluster's RESTMapper; a static table gives the same
 * answers for built-in kinds and keeps path parsing pure.
 */
interface KnownResource extends ResourceRef {
  readonly singular: string;
}

function known(resource: string, singular: string, group: string, kind: string, version: string, namespaced: boolean): KnownResource {
  const apiVersion = group === '' ? version : `${group}/${version}`;
  return Object.freeze({ resource, singular, group, kind, apiVersion, namespaced });
}

// Core first: without a group suffix the core resource wins, as in the RESTMapper's priority.
const TABLE: readonly KnownResource[] = [
  known('pods', 'pod', '', 'Pod', 'v1', true),
  known('nodes', 'node', '', 'Node', 'v1', false),
  known('namespaces', 'namespace', '', 'Namespace', 'v1', false),
  known('services', 'service', '', 'Service', 'v1', true),
  known('endpoints', 'endpoints', '', 'Endpoints', 'v1', true),
  known('persistentvolumes', 'persistentvolume', '', 'PersistentVolume', 'v1', false),
  known('persistentvolumeclaims', 'persistentvolumeclaim', '', 'PersistentVolumeClaim', 'v1', true),
  known('replicationcontrollers', 'replicationcontroller', '', 'ReplicationController', 'v1', true),
  known('configmaps', 'configmap', '', 'ConfigMap', 'v1', true),
  known('serviceaccounts', 'serviceaccount', '', 'ServiceAccount', 'v1', true),
  known('deployments', 'deployment', 'apps', 'Deployment', 'v1', true),
  known('statefulsets', 'statefulset', 'apps', 'StatefulSet', 'v1', true),
  known('replicasets', 'replicaset', 'apps', 'ReplicaSet', 'v1', true),
  known('daemonsets', 'daemonset', 'apps', 'DaemonSet', 'v1', true),
  known('jobs', 'job', 'batch', 'Job', 'v1', true),
  known('cronjobs', 'cronjob', 'batch', 'CronJob', 'v1', true),
  known('ingresses', 'ingress', 'networking.k8s.io', 'Ingress', 'v1', true),
  known('horizontalpodautoscalers', 'horizontalpodautoscaler', 'autoscaling', 'HorizontalPodAutoscaler', 'v2', true),
  known('poddisruptionbudgets', 'poddisruptionbudget', 'policy', 'PodDisruptionBudget', 'v1', true),
  known('endpointslices', 'endpointslice', 'discovery.k8s.io', 'EndpointSlice', 'v1', true),
];

/** Every known resource, canonical (plural, lower case). */
export const KNOWN_RESOURCES: readonly ResourceRef[] = TABLE.map(({ singular: _singular, ...ref }) => Object.freeze(ref));

/**
 * Resolves a path or config segment to a resource: singular or plural, any case, with an
 * optional `.group` suffix (`pod`, `Pods`, `deployment.apps`, `deployments`). Only the
 * text before the first dot is the resource, since groups contain dots. Unknown → undefined.
 */
export function resolveResource(segment: string): ResourceRef | undefined {
  const lower = segment.toLowerCase();
  const dot = lower.indexOf('.');
  const name = dot < 0 ? lower : lower.slice(0, dot);
  const group = dot < 0 ? undefined : lower.slice(dot + 1);
  const index = TABLE.findIndex(
    (r) => (r.resource === name || r.singular === name) && (group === undefined || r.group === group),
  );
  return index < 0 ? undefined : KNOWN_RESOURCES[index];
}
