import type { ResourceRef } from '../provider/types.js';
import { resolveResource } from './resources.js';

/**
 * Metric path parsing (spec §2.1 and §3), after `/apis/<group>/<version>/`. Pure: errors are
 * returned as values so the HTTP layer decides how to render them.
 *
 * Decisions on odd shapes:
 * - Segments are split on `/` first and percent-decoded one by one, so `%2F` never adds a
 *   segment; a decoded `/` inside a name is then rejected. Bad `%` escapes → 400.
 * - Leading and trailing slashes are ignored; an empty segment in between → 404.
 * - `namespaces/{ns}/status|finalize/…` are namespace subresources in Kubernetes' RequestInfo,
 *   so such a path is read as a cluster-scoped one: `namespaces/{ns}/status` is the metric
 *   `status` of the Namespace `{ns}` (what a Go adapter does).
 * - A cluster-scoped resource under `namespaces/{ns}/` ignores the namespace (HPA always sends
 *   Object metrics in namespaced form, even for cluster-scoped kinds).
 * - A namespaced resource without a namespace is allowed for the wildcard (all namespaces)
 *   but is 400 for a single object: the name alone does not identify it.
 * - `namespaces/{ns}/{metric}` is form D on the Namespace `{ns}` (same object as form C),
 *   as the Go router matches it against the cluster-scoped route.
 * - Too few segments → 400 `invalid request path`; too many → 404.
 */

export interface PathError {
  readonly error: { readonly code: 400 | 404; readonly message: string };
}

/** Forms A, C, D: exactly one object. */
export interface ObjectPath {
  readonly form: 'object';
  readonly resource: ResourceRef;
  readonly namespace?: string;
  readonly name: string;
  readonly metric: string;
}

/** Forms B, E: every object of the resource (in the namespace, if any) that `labelSelector` picks. */
export interface SelectorPath {
  readonly form: 'selector';
  readonly resource: ResourceRef;
  readonly namespace?: string;
  readonly metric: string;
}

export type CustomPath = ObjectPath | SelectorPath;

export interface ExternalPath {
  readonly namespace: string;
  readonly metric: string;
}

export type ResourceResolver = (segment: string) => ResourceRef | undefined;

const NOT_FOUND_MESSAGE = 'the server could not find the requested resource';
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function isPathError(value: object): value is PathError {
  return 'error' in value;
}

/**
 * Parses the custom metrics path tail, e.g. `namespaces/ml/pods/{name or *}/gpu`. `resolve` maps the
 * resource segment to a resource (default: the built-in table), so configured resources can
 * be added without touching the parser.
 */
export function parseCustomPath(tail: string, resolve: ResourceResolver = resolveResource): CustomPath | PathError {
  const segments = splitPath(tail);
  if (isPathError(segments)) return segments;
  const [first, ns, third] = segments;
  const subresource = third !== undefined && NAMESPACE_SUBRESOURCES.has(third);
  // Three segments starting with `namespaces` can only be form D on the Namespace itself.
  const rooted = first !== 'namespaces' || ns === undefined || subresource || segments.length === 3;
  if (rooted) return objectOrSelector(segments, undefined, resolve);
  const rest = segments.slice(2);
  // Form C: the Namespace object itself, cluster-scoped.
  if (rest.length === 2 && rest[0] === 'metrics') {
    return objectOrSelector(['namespaces', ns, rest[1] ?? ''], undefined, resolve);
  }
  return objectOrSelector(rest, ns, resolve);
}

/** `namespaces/{ns}/{metric}` — the only external metrics path; anything else is 404. */
export function parseExternalPath(tail: string): ExternalPath | PathError {
  const segments = splitPath(tail);
  if (isPathError(segments)) return segments;
  const [first, namespace, metric] = segments;
  if (segments.length !== 3 || first !== 'namespaces' || namespace === undefined || metric === undefined) {
    return notFound(NOT_FOUND_MESSAGE);
  }
  return checkSegment('namespace', namespace) ?? checkSegment('metric name', metric) ?? { namespace, metric };
}

/** `{resource}/{name}/{metric}`, with the namespace already taken off. */
function objectOrSelector(parts: readonly string[], namespace: string | undefined, resolve: ResourceResolver): CustomPath | PathError {
  if (parts.length < 3) return badRequest('invalid request path');
  if (parts.length > 3) return notFound(NOT_FOUND_MESSAGE);
  const [resourceSegment = '', name = '', metric = ''] = parts;
  const problem =
    (namespace === undefined ? undefined : checkSegment('namespace', namespace)) ??
    checkSegment('metric name', metric) ??
    checkSegment('name', name);
  if (problem) return problem;
  const resource = resolve(resourceSegment);
  if (!resource) return notFound(`the server could not find the metric ${metric} for ${resourceSegment}`);
  const scope = resource.namespaced && namespace !== undefined ? { namespace } : {};
  if (name === '*') return { form: 'selector', resource, ...scope, metric };
  if (resource.namespaced && namespace === undefined) {
    return badRequest(`${resourceSegment} is namespaced: request a single object under /namespaces/{namespace}/`);
  }
  return { form: 'object', resource, ...scope, name, metric };
}

/** Splits on `/`, then percent-decodes each segment. */
function splitPath(tail: string): string[] | PathError {
  const trimmed = tail.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return [];
  const decoded: string[] = [];
  for (const raw of trimmed.split('/')) {
    if (raw === '') return notFound(NOT_FOUND_MESSAGE);
    try {
      decoded.push(decodeURIComponent(raw));
    } catch {
      return badRequest(`invalid request path: bad percent-encoding in ${JSON.stringify(raw)}`);
    }
  }
  return decoded;
}

/**
 * Kubernetes' path-segment name rule (ValidatePathSegmentName), which it applies to HPA
 * metric names: not `.` or `..`, no `/` or `%`. Names and namespaces get the same rule.
 */
function checkSegment(what: string, value: string): PathError | undefined {
  if (value === '') return badRequest(`invalid ${what}: may not be empty`);
  if (value === '.' || value === '..') return badRequest(`invalid ${what} ${JSON.stringify(value)}: may not be '.' or '..'`);
  if (/[/%]/.test(value)) return badRequest(`invalid ${what} ${JSON.stringify(value)}: may not contain '/' or '%'`);
  return undefined;
}

function badRequest(message: string): PathError {
  return { error: { code: 400, message } };
}

function notFound(message: string): PathError {
  return { error: { code: 404, message } };
}
