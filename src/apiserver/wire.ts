import type { Labels, Selector } from '../util/labels.js';
import type { ExternalMetricValue, MetricValue } from '../provider/types.js';
import { formatQuantity } from './quantity.js';
import { ParsedSelector, parseSelector, type LabelSelector } from './selector.js';
import {
  CUSTOM_GROUP,
  EXTERNAL_GROUP,
  type APIGroup,
  type APIGroupList,
  type APIResourceList,
  type CustomVersion,
  type ExternalMetricValueItem,
  type ExternalMetricValueList,
  type GroupVersionForDiscovery,
  type MetricValueList,
  type MetricValueV1beta1,
  type MetricValueV1beta2,
  type ObjectReference,
  type Status,
  type StatusDetails,
} from './wire-types.js';

export * from './wire-types.js';

/**
 * Pure renderers from provider values to the wire types in wire-types.ts. Property order
 * in each object literal is the Go struct field order (see there).
 */

/** RFC 3339 UTC, whole seconds (Go's metav1.Time): `2025-05-01T12:00:00Z`. Truncates like Go. */
export function formatTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The LabelSelector echo of any Selector; null when it selects everything. */
export function labelSelectorOf(selector: Selector): LabelSelector | null {
  if (selector.isEmpty()) return null;
  if (selector instanceof ParsedSelector) return selector.toLabelSelector();
  try {
    return parseSelector(selector.toString()).toLabelSelector();
  } catch {
    // The echo is informational (HPA ignores it); an unprintable selector must not fail the reply.
    return null;
  }
}

function objectReference(o: MetricValue['describedObject']): ObjectReference {
  return o.namespace
    ? { kind: o.kind, namespace: o.namespace, name: o.name, apiVersion: o.apiVersion }
    : { kind: o.kind, name: o.name, apiVersion: o.apiVersion };
}

function v1beta1Item(v: MetricValue, selector: LabelSelector | null): MetricValueV1beta1 {
  const head = { describedObject: objectReference(v.describedObject), metricName: v.metric, timestamp: formatTimestamp(v.timestampMs) };
  const window = v.windowSeconds === undefined ? {} : { window: v.windowSeconds };
  return { ...head, ...window, value: formatQuantity(v.value), selector };
}

function v1beta2Item(v: MetricValue, selector: LabelSelector | null): MetricValueV1beta2 {
  const head = {
    describedObject: objectReference(v.describedObject),
    metric: { name: v.metric, selector },
    timestamp: formatTimestamp(v.timestampMs),
  };
  const window = v.windowSeconds === undefined ? {} : { windowSeconds: v.windowSeconds };
  return { ...head, ...window, value: formatQuantity(v.value) };
}

/**
 * MetricValueList for the URL's version. Items whose value is not finite are dropped
 * (HPA then treats that object as missing, the conservative outcome); a NaN must never
 * reach the wire, because one bad item makes clients reject the whole list.
 */
export function renderCustomList<V extends CustomVersion>(
  version: V,
  items: readonly MetricValue[],
  metricSelector: Selector,
): MetricValueList<V> {
  const selector = labelSelectorOf(metricSelector);
  const finite = items.filter((v) => Number.isFinite(v.value));
  const rendered = finite.map((v) => (version === 'v1beta1' ? v1beta1Item(v, selector) : v1beta2Item(v, selector)));
  return {
    kind: 'MetricValueList',
    apiVersion: `${CUSTOM_GROUP}/${version}`,
    metadata: {},
    items: rendered as MetricValueList<V>['items'],
  };
}

/**
 * ExternalMetricValueList. A non-finite value throws (RangeError from formatQuantity)
 * instead of being dropped: HPA sums external items, so a silently missing series would
 * scale on a too-small total. The caller answers an error and the HPA holds.
 */
export function renderExternalList(items: readonly ExternalMetricValue[]): ExternalMetricValueList {
  return {
    kind: 'ExternalMetricValueList',
    apiVersion: `${EXTERNAL_GROUP}/v1beta1`,
    metadata: {},
    items: items.map(externalItem),
  };
}

function externalItem(v: ExternalMetricValue): ExternalMetricValueItem {
  const head = { metricName: v.metric, metricLabels: copyLabels(v.labels), timestamp: formatTimestamp(v.timestampMs) };
  const window = v.windowSeconds === undefined ? {} : { window: v.windowSeconds };
  return { ...head, ...window, value: formatQuantity(v.value) };
}

/** Sorted keys, as Go's encoding/json writes maps. */
function copyLabels(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) out[key] = labels[key] ?? '';
  return out;
}

/** metav1.Status; `reason`/`message`/`details` omitted when empty, as in Go. */
export function renderStatus(code: number, reason: string, message: string, details?: StatusDetails): Status {
  const status: Status['status'] = code >= 200 && code < 300 ? 'Success' : 'Failure';
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status,
    ...(message === '' ? {} : { message }),
    ...(reason === '' ? {} : { reason }),
    ...(details === undefined ? {} : { details }),
    code,
  };
}

export interface ResourceEntry {
  /** `pods/nvidia_gpu_duty_cycle`, `deployments.apps/x`, or an external metric name. */
  readonly name: string;
  readonly namespaced: boolean;
  readonly kind: 'MetricValueList' | 'ExternalMetricValueList';
}

export function renderApiResourceList(groupVersion: string, resources: readonly ResourceEntry[]): APIResourceList {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: resources.map((r) => ({ name: r.name, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get'] })),
  };
}

function groupVersion(group: string, version: string): GroupVersionForDiscovery {
  return { groupVersion: `${group}/${version}`, version };
}

/** Group entry for a list: versions in preference order, the first one preferred. */
function groupEntry(group: string, versions: readonly string[]): Omit<APIGroup, 'kind' | 'apiVersion'> {
  const [preferred] = versions;
  if (preferred === undefined) throw new Error(`API group ${group} has no versions`);
  return { name: group, versions: versions.map((v) => groupVersion(group, v)), preferredVersion: groupVersion(group, preferred) };
}

/** `GET /apis/<group>`. `versions` in preference order (e.g. v1beta2, v1beta1). */
export function renderApiGroup(group: string, versions: readonly string[]): APIGroup {
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions) };
}

/** `GET /apis`: entries carry no kind/apiVersion. */
export function renderApiGroupList(groups: readonly { name: string; versions: readonly string[] }[]): APIGroupList {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => groupEntry(g.name, g.versions)) };
}
