import { createHash } from 'node:crypto';
import { SKIP, type AuthnOutcome } from './outcome.js';
import { describeReviewFailure } from './review-errors.js';
import { TtlCache } from './ttl-cache.js';
import type { UserInfo } from './user.js';

/** A TokenReview's answer (authentication.k8s.io/v1 `status`). */
export interface TokenReviewStatus {
  readonly authenticated: boolean;
  readonly user?: UserInfo;
  readonly error?: string;
}

/** Sends `{"spec":{"token":…}}` to kube-apiserver; rejects when the review could not be made. */
export type TokenReviewer = (token: string) => Promise<TokenReviewStatus>;

/**
 * Bearer tokens checked with TokenReview. Answers, positive and negative, are cached for
 * `ttlMs` (Go's delegating authenticator: 10 s) under a hash of the token; reviews that could
 * not be made are not cached and come back as `unavailable`, not as a rejection.
 */
export class TokenAuthenticator {
  private readonly cache: TtlCache<TokenReviewStatus>;

  constructor(
    private readonly review: TokenReviewer,
    private readonly ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.cache = new TtlCache(8192, now);
  }

  async authenticate(authorization: string | undefined): Promise<AuthnOutcome> {
    const token = bearerToken(authorization);
    if (token === undefined) return SKIP;
    const key = createHash('sha256').update(token).digest('base64');
    let status: TokenReviewStatus;
    try {
      status = await this.cache.getOrLoad(key, () => this.review(token), () => this.ttlMs);
    } catch (err) {
      // The review was not made (kube-apiserver down, 5xx, timeout): the token may well be valid.
      return { kind: 'unavailable', source: 'token', reason: describeReviewFailure(err, 'TokenReview'), detail: err instanceof Error ? err.message : String(err) };
    }
    if (!status.authenticated || !status.user) {
      return { kind: 'fail', source: 'token', check: 'token', reason: status.error ? `token rejected: ${status.error}` : 'token rejected' };
    }
    return { kind: 'user', source: 'token', user: status.user };
  }
}

/** `Authorization: Bearer <token>` as Go's bearertoken authenticator reads it; undefined when absent. */
export function bearerToken(header: string | undefined): string | undefined {
  const parts = (header ?? '').trim().split(' ');
  if (parts.length < 2 || parts[0]?.toLowerCase() !== 'bearer') return undefined;
  const token = parts[1] ?? '';
  return token === '' ? undefined : token;
}
