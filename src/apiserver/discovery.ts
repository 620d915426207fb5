import type { CustomMetricsProvider, ExternalMetricsProvider } from '../provider/index.js';
import { groupResource } from '../provider/index.js';
import {
  CUSTOM_GROUP,
  EXTERNAL_GROUP,
  renderApiGroup,
  renderApiGroupList,
  renderApiResourceList,
  type APIGroup,
  type APIGroupList,
  type APIResourceList,
  type CustomVersion,
  type ResourceEntry,
} from './wire.js';

/** Preference order: the HPA picks v1beta2 when both are registered. */
export const CUSTOM_VERSIONS: readonly CustomVersion[] = ['v1beta2', 'v1beta1'];

/**
 * Every discovery document, built once from the providers' static lists: discovery is
 * answered from memory, never blocked by a backend, and never empty.
 */
export interface DiscoveryDocs {
  readonly groups: APIGroupList;
  readonly customGroup: APIGroup;
  readonly externalGroup: APIGroup;
  readonly custom: Readonly<Record<CustomVersion, APIResourceList>>;
  readonly external: APIResourceList;
}

export function buildDiscovery(custom: CustomMetricsProvider, external: ExternalMetricsProvider): DiscoveryDocs {
  const customEntries = customResources(custom);
  const externalEntries: ResourceEntry[] = external
    .listAllExternalMetrics()
    .map((m) => ({ name: m.metric, namespaced: true, kind: 'ExternalMetricValueList' }));
  if (customEntries.length === 0 || externalEntries.length === 0) {
    // An empty list makes every kubectl call print "Got empty response"; the catalog always has entries.
    throw new Error('discovery: a metrics API group has no metrics');
  }
  return {
    groups: renderApiGroupList([
      { name: CUSTOM_GROUP, versions: CUSTOM_VERSIONS },
      { name: EXTERNAL_GROUP, versions: ['v1beta1'] },
    ]),
    customGroup: renderApiGroup(CUSTOM_GROUP, CUSTOM_VERSIONS),
    externalGroup: renderApiGroup(EXTERNAL_GROUP, ['v1beta1']),
    custom: {
      v1beta2: renderApiResourceList(`${CUSTOM_GROUP}/v1beta2`, customEntries),
      v1beta1: renderApiResourceList(`${CUSTOM_GROUP}/v1beta1`, customEntries),
    },
    external: renderApiResourceList(`${EXTERNAL_GROUP}/v1beta1`, externalEntries),
  };
}

/** `pods/<metric>` entries; every entry of one parent resource shares the parent's scope. */
function customResources(provider: CustomMetricsProvider): ResourceEntry[] {
  const seen = new Set<string>();
  const out: ResourceEntry[] = [];
  for (const { resource, metric } of provider.listAllMetrics()) {
    const name = `${groupResource(resource)}/${metric}`;
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ name, namespaced: resource.namespaced, kind: 'MetricValueList' });
  }
  return out;
}
