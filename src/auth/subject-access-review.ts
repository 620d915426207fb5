import type { RequestAttributes } from './request-attributes.js';
import { TtlCache } from './ttl-cache.js';
import type { UserInfo } from './user.js';

/**
 * SubjectAccessReview `spec` (authorization.k8s.io/v1) as Go's webhook authorizer fills it:
 * empty fields are left out, as Go's `omitempty` does, and the JSON of this object is the
 * cache key.
 */
export interface SarSpec {
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  readonly nonResourceAttributes?: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
  readonly uid?: string;
}

/** SubjectAccessReview `status`. */
export interface SarStatus {
  readonly allowed: boolean;
  readonly denied?: boolean;
  readonly reason?: string;
  readonly evaluationError?: string;
}

/** Posts a review to kube-apiserver; rejects when it could not be made. */
export type SarReviewer = (spec: SarSpec) => Promise<SarStatus>;

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export function sarSpec(user: UserInfo, attrs: RequestAttributes): SarSpec {
  const compact = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== ''));
  const attributes =
    attrs.kind === 'resource'
      ? {
          resourceAttributes: compact({
            namespace: attrs.namespace,
            verb: attrs.verb,
            group: attrs.group,
            version: attrs.version,
            resource: attrs.resource,
            subresource: attrs.subresource,
            name: attrs.name,
          }),
        }
      : { nonResourceAttributes: compact({ path: attrs.path, verb: attrs.verb }) };
  const extraKeys = Object.keys(user.extra).sort();
  return {
    ...attributes,
    ...(user.name === '' ? {} : { user: user.name }),
    ...(user.groups.length === 0 ? {} : { groups: [...user.groups] }),
    ...(extraKeys.length === 0 ? {} : { extra: Object.fromEntries(extraKeys.map((k) => [k, [...(user.extra[k] ?? [])]])) }),
    ...(user.uid ? { uid: user.uid } : {}),
  };
}

/** Go skips the cache when requester-controlled attributes are this large (a likely DoS). */
const MAX_CACHED_ATTRIBUTES = 10_000;

/**
 * Authorization by SubjectAccessReview, allow answers cached `allowTtlMs` and deny answers
 * `denyTtlMs` (Go's defaults: 10 s each), keyed on the whole spec; concurrent identical
 * reviews are sent once. A review that could not be made rejects (→ 500, not cached).
 */
export class SarAuthorizer {
  private readonly cache: TtlCache<SarStatus>;

  constructor(
    private readonly review: SarReviewer,
    private readonly allowTtlMs: number,
    private readonly denyTtlMs: number,
    now: () => number = Date.now,
  ) {
    this.cache = new TtlCache(8192, now);
  }

  async authorize(user: UserInfo, attrs: RequestAttributes): Promise<Decision> {
    const spec = sarSpec(user, attrs);
    const key = JSON.stringify(spec);
    const cacheable = Object.values(attrs).join('').length < MAX_CACHED_ATTRIBUTES;
    const status = cacheable
      ? await this.cache.getOrLoad(key, () => this.review(spec), (s) => (s.allowed && !s.denied ? this.allowTtlMs : this.denyTtlMs))
      : await this.review(spec);
    if (status.allowed && !status.denied) return { allowed: true };
    return { allowed: false, reason: status.reason ?? '' };
  }
}
