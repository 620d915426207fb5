import type { LabelSelector } from './selector.js';

export type { LabelSelector, LabelSelectorRequirement } from './selector.js';

/**
 * The JSON the aggregated API speaks, modelled on the Go structs. Property order in every
 * renderer follows the Go field order, so JSON.stringify output matches a Go adapter's byte
 * for byte; optional properties are those Go tags `omitempty`.
 */

export type CustomVersion = 'v1beta1' | 'v1beta2';
export const CUSTOM_GROUP = 'custom.metrics.k8s.io';
export const EXTERNAL_GROUP = 'external.metrics.k8s.io';

/** metav1.ListMeta; we never set its fields, but Go always emits `"metadata":{}`. */
export type ListMeta = Record<string, never>;

/** core/v1 ObjectReference as used in `describedObject`. */
export interface ObjectReference {
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  apiVersion: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface MetricValueV1beta1 {
  describedObject: ObjectReference;
  metricName: string;
  timestamp: string;
  window?: number;
  value: string;
  /** No omitempty in Go: always present, null when there is no metric selector. */
  selector: LabelSelector | null;
}

export interface MetricIdentifier {
  name: string;
  selector: LabelSelector | null;
}

export interface MetricValueV1beta2 {
  describedObject: ObjectReference;
  metric: MetricIdentifier;
  timestamp: string;
  windowSeconds?: number;
  value: string;
}

export interface MetricValueList<V extends CustomVersion = CustomVersion> {
  kind: 'MetricValueList';
  apiVersion: `${typeof CUSTOM_GROUP}/${V}`;
  metadata: ListMeta;
  items: (V extends 'v1beta1' ? MetricValueV1beta1 : MetricValueV1beta2)[];
}

export interface ExternalMetricValueItem {
  metricName: string;
  /** No omitempty in Go: `{}` when the series has no labels. */
  metricLabels: Record<string, string>;
  timestamp: string;
  window?: number;
  value: string;
}

export interface ExternalMetricValueList {
  kind: 'ExternalMetricValueList';
  apiVersion: `${typeof EXTERNAL_GROUP}/v1beta1`;
  metadata: ListMeta;
  items: ExternalMetricValueItem[];
}

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** metav1.Status. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: ListMeta;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export interface APIResource {
  name: string;
  /** Emitted as `""` (Go adapters leave it empty). */
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
}

export interface APIResourceList {
  kind: 'APIResourceList';
  apiVersion: 'v1';
  groupVersion: string;
  resources: APIResource[];
}

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

/** metav1.APIGroup; `kind`/`apiVersion` are absent when it sits inside an APIGroupList. */
export interface APIGroup {
  kind?: 'APIGroup';
  apiVersion?: 'v1';
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroupList {
  kind: 'APIGroupList';
  apiVersion: 'v1';
  groups: APIGroup[];
}
