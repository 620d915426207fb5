/**
 * Trigger metadata (the ScaledObject trigger's `metadata` map, as KEDA forwards it in
 * `ScaledObjectRef.scalerMetadata`): parsed once, at the edge, into a TriggerSpec. Every
 * problem names the key it is about, so a misconfigured trigger reads as such in KEDA's
 * events. Parsing is pure: no backend is consulted, only the static metric catalog.
 */
import { z } from 'zod';
import { parseQuantity, parseSelector, resolveResource } from '../apiserver/index.js';
import type { ResourceRef } from '../provider/index.js';
import type { Aggregation, Catalog } from '../store/index.js';
import { QUEUE_TYPES } from '../sources/bullmq-counts.js';
import type { Selector } from '../util/labels.js';
import { errorMessage } from '../util/errors.js';
import { SeriesSelector } from './series-selector.js';

/** The BullMQ metric: the only one `queueName`, `queueType` and `prefix` apply to. */
export const QUEUE_METRIC = 'redis_queue_depth';

/** Keys KEDA itself reads (connection and TLS) and forwards anyway; accepted and ignored. */
const KEDA_KEYS = new Set(['scalerAddress', 'enableTLS', 'unsafeSsl', 'tlsCertFile', 'caCert', 'tlsClientCert', 'tlsClientKey']);

/** What to read: one value per trigger, from the same provider the HTTP API uses. */
export type TriggerRead =
  | {
      readonly api: 'external';
      readonly metric: string;
      /** labelSelector AND metricLabelSelector AND the queue keys. */
      readonly series: Selector;
      /** Set when the trigger names one queue: the push path watches it. */
      readonly queue?: { readonly name: string; readonly prefix?: string };
      readonly aggregation: Aggregation;
    }
  | {
      readonly api: 'custom';
      readonly metric: string;
      readonly resource: ResourceRef;
      /** Undefined for cluster-scoped resources (nodes). */
      readonly namespace?: string;
      readonly objects: Selector;
      readonly series: Selector;
      readonly aggregation: Aggregation;
    };

export interface TriggerSpec {
  readonly read: TriggerRead;
  /** The HPA metric name (KEDA prefixes it with `sN-`): lowercase `[a-z0-9-]`. */
  readonly metricName: string;
  /** > 0. */
  readonly target: number;
  /** Active when value > activationThreshold; ≥ 0. */
  readonly activationThreshold: number;
  /** Identifies the value read: equal keys read the same number. */
  readonly readKey: string;
}

/** Bad trigger metadata; the gRPC layer answers INVALID_ARGUMENT with this message. */
export class TriggerMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TriggerMetadataError';
  }
}

const required = (what: string) => ({ error: (iss: { input: unknown }) => (iss.input === undefined ? 'is required' : what) });

function quantity(min: 'positive' | 'non-negative') {
  return z.string(required('must be a string')).transform((text, ctx) => {
    let n: number;
    try {
      n = parseQuantity(text.trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be a number or a Kubernetes quantity (5, 0.5, 250m, 500M), got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    if (min === 'positive' ? !(n > 0) : !(n >= 0)) {
      ctx.addIssue({ code: 'custom', message: `must be ${min === 'positive' ? '> 0' : '>= 0'}, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return n;
  });
}

const selector = z.string().transform((text, ctx) => {
  try {
    return parseSelector(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a label selector: ${errorMessage(err)}` });
    return z.NEVER;
  }
});

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const metadataSchema = z.object({
  metric: z.string(required('must be a string')).min(1, 'must name a metric'),
  namespace: z.string().max(63).regex(DNS1123_LABEL, 'must be a namespace name (lower-case RFC 1123 label)').optional(),
  resource: z.string().min(1).optional(),
  labelSelector: selector.optional(),
  metricLabelSelector: selector.optional(),
  queueName: z.string().min(1, 'must not be empty').refine((s) => !s.includes(':'), 'must not contain ":" (BullMQ queue names cannot)').optional(),
  queueType: z.enum(QUEUE_TYPES, { error: `must be one of ${QUEUE_TYPES.join(', ')}` }).optional(),
  prefix: z.string().min(1, 'must not be empty').optional(),
  targetValue: quantity('positive'),
  activationThreshold: quantity('non-negative').optional(),
  aggregation: z.enum(['sum', 'mean', 'max'], { error: 'must be one of sum, mean, max' }).optional(),
});

type ParsedMetadata = z.infer<typeof metadataSchema>;

/** Every key this scaler reads, for documentation and "unknown key" messages. */
export const METADATA_KEYS: readonly string[] = Object.keys(metadataSchema.shape);

/**
 * Parses `scalerMetadata`. `ownNamespace` is the ScaledObject's, the default `namespace`.
 * Throws TriggerMetadataError naming the key(s) at fault.
 */
export function parseTriggerMetadata(metadata: Readonly<Record<string, string>>, ownNamespace: string, catalog: Catalog): TriggerSpec {
  const unknown = Object.keys(metadata).filter((k) => !METADATA_KEYS.includes(k) && !KEDA_KEYS.has(k) && !k.endsWith('FromEnv'));
  if (unknown.length > 0) {
    throw new TriggerMetadataError(
      unknown.map((k) => `metadata.${k}: unknown key (known: ${METADATA_KEYS.join(', ')})`).join('; '),
    );
  }
  const parsed = metadataSchema.safeParse(metadata);
  if (!parsed.success) {
    throw new TriggerMetadataError(
      parsed.error.issues.map((i) => `metadata.${i.path.map(String).join('.') || '(map)'}: ${i.message}`).join('; '),
    );
  }
  const m = parsed.data;
  const read = buildRead(m, ownNamespace, catalog);
  return {
    read,
    metricName: metricNameOf(m),
    target: m.targetValue,
    activationThreshold: m.activationThreshold ?? 0,
    readKey: readKeyOf(read),
  };
}

function buildRead(m: ParsedMetadata, ownNamespace: string, catalog: Catalog): TriggerRead {
  const external = catalog.externalMetric(m.metric);
  const custom = catalog.customMetric(m.metric);
  if (!external && !custom) {
    const known = [...catalog.customMetrics(), ...catalog.externalMetrics()].map((d) => d.name);
    throw bad('metric', `unknown metric ${JSON.stringify(m.metric)} (known: ${[...new Set(known)].join(', ')})`);
  }
  const queueKeys = (['queueName', 'queueType', 'prefix'] as const).filter((k) => m[k] !== undefined);
  if (m.metric !== QUEUE_METRIC && queueKeys.length > 0) {
    throw bad(queueKeys[0] ?? 'queueName', `only applies to metric ${QUEUE_METRIC}`);
  }
  if (external) {
    if (m.resource !== undefined) throw bad('resource', `does not apply to the external metric ${m.metric}`);
    const equals: Record<string, string> = {};
    if (m.queueName !== undefined) equals.queue_name = m.queueName;
    if (m.queueType !== undefined) equals.queue_type = m.queueType;
    if (m.prefix !== undefined) equals.prefix = m.prefix;
    const selectors = [m.labelSelector, m.metricLabelSelector].filter((s) => s !== undefined);
    return {
      api: 'external',
      metric: m.metric,
      series: new SeriesSelector(selectors, equals),
      ...(m.queueName !== undefined ? { queue: { name: m.queueName, ...(m.prefix !== undefined ? { prefix: m.prefix } : {}) } } : {}),
      aggregation: m.aggregation ?? 'sum',
    };
  }
  // Checked above: one of the two exists.
  const def = custom as NonNullable<typeof custom>;
  const resourceName = m.resource ?? def.resources[0] ?? 'pods';
  const resource = resolveResource(resourceName);
  const served = resource && def.resources.includes(groupResourceOf(resource));
  if (!resource || !served) {
    throw bad('resource', `${JSON.stringify(resourceName)} is not served for ${m.metric} (served: ${def.resources.join(', ')})`);
  }
  const namespace = resource.namespaced ? (m.namespace ?? ownNamespace) : undefined;
  if (resource.namespaced && !namespace) throw bad('namespace', `is required for ${resourceName} (the request carries no namespace)`);
  return {
    api: 'custom',
    metric: m.metric,
    resource,
    ...(namespace !== undefined ? { namespace } : {}),
    objects: m.labelSelector ?? parseSelector(''),
    series: m.metricLabelSelector ?? parseSelector(''),
    // Across objects, the catalog's own way of combining a metric's series is the natural default.
    aggregation: m.aggregation ?? def.aggregation,
  };
}

function groupResourceOf(r: ResourceRef): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

/** `redis_queue_depth` + `stt-queue` → `redis-queue-depth-stt-queue`: lowercase `[a-z0-9-]`, ≤ 100 chars. */
export function metricNameOf(m: Pick<ParsedMetadata, 'metric' | 'queueName'>): string {
  const raw = [m.metric, m.queueName].filter((s) => s !== undefined).join('-');
  const name = raw.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100).replace(/-+$/, '');
  return name === '' ? 'metric' : name;
}

function readKeyOf(r: TriggerRead): string {
  return r.api === 'external'
    ? JSON.stringify(['external', r.metric, r.series.toString(), r.aggregation])
    : JSON.stringify(['custom', r.metric, r.resource.resource, r.resource.group, r.namespace ?? '', r.objects.toString(), r.series.toString(), r.aggregation]);
}

function bad(key: string, message: string): TriggerMetadataError {
  return new TriggerMetadataError(`metadata.${key}: ${message}`);
}
