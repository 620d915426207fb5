/**
 * The authorization attributes of a request, derived from its method, path and query the way
 * Kubernetes' RequestInfoFactory (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go) does
 * with API prefixes `api` (groupless) and `apis`. For this server:
 *
 * - `/apis`, `/apis/<g>`, `/apis/<g>/<v>`: non-resource, verb = lower-case HTTP method.
 * - `/apis/custom.metrics.k8s.io/<v>/namespaces/ml/pods/*\/gpu`: resource `pods`, name `*`,
 *   subresource `gpu`, namespace `ml`, verb `get` (a name is present).
 * - `/apis/custom.metrics.k8s.io/<v>/namespaces/ml/metrics/gpu`: resource `metrics`, name `gpu`.
 * - `/apis/custom.metrics.k8s.io/<v>/nodes/n1/gpu`: resource `nodes`, name `n1`, subresource `gpu`.
 * - `/apis/external.metrics.k8s.io/v1beta1/namespaces/ml/queue`: resource `queue`, no name,
 *   verb `list` (`watch` with `?watch=true`).
 *
 * Field and label selectors are not sent (the AuthorizeWithSelectors attributes only narrow
 * a request, and RBAC ignores them), and a `metadata.name` field selector is not turned into
 * a name: the handlers ignore field selectors, so the review must cover the whole list.
 */

export interface ResourceAttributes {
  readonly kind: 'resource';
  readonly verb: string;
  readonly namespace: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
}

export interface NonResourceAttributes {
  readonly kind: 'nonResource';
  readonly verb: string;
  readonly path: string;
}

export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_PREFIXES = new Set(['api']);
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(['proxy']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const VERB_BY_METHOD: Readonly<Record<string, string>> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** `path` is the decoded URL path (Go's URL.Path); `query` the raw query string without `?`. */
export function requestAttributes(method: string, path: string, query = ''): RequestAttributes {
  const nonResource: NonResourceAttributes = { kind: 'nonResource', verb: method.toLowerCase(), path };
  let parts = splitPath(path);
  if (parts.length < 3 || !API_PREFIXES.has(parts[0] ?? '')) return nonResource;
  const prefix = parts[0] ?? '';
  parts = parts.slice(1);
  let group = '';
  if (!GROUPLESS_PREFIXES.has(prefix)) {
    if (parts.length < 3) return nonResource;
    group = parts[0] ?? '';
    parts = parts.slice(1);
  }
  const version = parts[0] ?? '';
  parts = parts.slice(1);

  let verb: string;
  if (SPECIAL_VERBS.has(parts[0] ?? '')) {
    // Go gives up on `/<special verb>` without a resource; no review can describe it, so nobody may.
    if (parts.length < 2) return { kind: 'resource', verb: parts[0] ?? '', namespace: '', group, version, resource: '', subresource: '', name: '' };
    verb = parts[0] ?? '';
    parts = parts.slice(1);
  } else {
    verb = VERB_BY_METHOD[method.toUpperCase()] ?? '';
  }

  let namespace = '';
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      namespace = parts[1] ?? '';
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
    }
  }

  const resource = parts[0] ?? '';
  const name = parts.length >= 2 ? (parts[1] ?? '') : '';
  const subresource = parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(verb) ? (parts[2] ?? '') : '';

  if (name === '' && verb === 'get') verb = watchRequested(query) ? 'watch' : 'list';
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  return { kind: 'resource', verb, namespace, group, version, resource, subresource, name };
}

/** Go's bool conversion of the first `watch` value: anything but `0` / `false` is true. */
function watchRequested(query: string): boolean {
  const values = new URLSearchParams(query).getAll('watch');
  if (values.length === 0) return false;
  const v = (values[0] ?? '').toLowerCase();
  return v !== '0' && v !== 'false';
}

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}
