import { SarAuthorizer, TokenAuthenticator, type KubeAuthApi, type UserInfo } from '../auth/index.js';

/** What the caller wants to do to which HPA (`name` empty for create and list). */
export interface HpaAccess {
  readonly verb: 'create' | 'get' | 'list' | 'delete';
  /** Empty: every namespace. */
  readonly namespace: string;
  readonly name?: string;
}

export type AccessDecision =
  | { readonly ok: true; readonly user: UserInfo }
  | { readonly ok: false; readonly code: 401 | 403 | 500; readonly error: string; readonly details: string };

export interface RestAuthSettings {
  readonly tokenCacheSeconds: number;
  readonly allowCacheSeconds: number;
  readonly denyCacheSeconds: number;
}

/**
 * The REST API acts on HPAs on the caller's behalf, so the caller needs exactly the access to
 * `horizontalpodautoscalers.autoscaling` that doing it with kubectl would need: the bearer token
 * is checked with TokenReview, then the verb with a SubjectAccessReview in that namespace.
 * Answers are cached like the metrics API's (auth settings).
 */
export class RestAuth {
  private readonly tokens: TokenAuthenticator;
  private readonly authorizer: SarAuthorizer;

  constructor(api: KubeAuthApi, settings: RestAuthSettings) {
    this.tokens = new TokenAuthenticator(api.tokenReview, settings.tokenCacheSeconds * 1000);
    this.authorizer = new SarAuthorizer(api.subjectAccessReview, settings.allowCacheSeconds * 1000, settings.denyCacheSeconds * 1000);
  }

  /** Who the token belongs to; 401 without a valid bearer token, 500 when the TokenReview could not be made. */
  async authenticate(authorization: string | undefined): Promise<AccessDecision> {
    const outcome = await this.tokens.authenticate(authorization);
    if (outcome.kind === 'skip') return deny(401, 'Unauthorized', 'send a Kubernetes bearer token: Authorization: Bearer <token>');
    if (outcome.kind === 'fail') return deny(401, 'Unauthorized', outcome.reason);
    // The TokenReview was not made: a 401 would tell the caller its token is bad.
    if (outcome.kind === 'unavailable') return deny(500, 'authentication unavailable', outcome.reason);
    return { ok: true, user: outcome.user };
  }

  /** 403 unless `user` may do `access`. A review that could not be made is a 500, never an allow. */
  async authorize(user: UserInfo, access: HpaAccess): Promise<AccessDecision> {
    const { verb, namespace, name = '' } = access;
    const attrs = { kind: 'resource', verb, namespace, group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', subresource: '', name } as const;
    try {
      const decision = await this.authorizer.authorize(user, attrs);
      if (decision.allowed) return { ok: true, user };
      const where = namespace === '' ? 'at the cluster scope' : `in the namespace "${namespace}"`;
      return deny(403, 'Forbidden',
        `User "${user.name}" cannot ${verb} resource "horizontalpodautoscalers" in API group "autoscaling" ${where}${decision.reason ? `: ${decision.reason}` : ''}`);
    } catch (err) {
      return deny(500, 'authorization check failed', err instanceof Error ? err.message : String(err));
    }
  }
}

function deny(code: 401 | 403 | 500, error: string, details: string): AccessDecision {
  return { ok: false, code, error, details };
}
