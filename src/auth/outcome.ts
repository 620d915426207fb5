import type { CertCheck } from './cert-chain.js';
import type { UserInfo } from './user.js';

/** Which authenticator produced an outcome. */
export type AuthnSource = 'front-proxy' | 'client-cert' | 'token';

/**
 * What one authenticator made of a request: a user, a failure (the credentials are not valid),
 * "not for me", or unavailable (the check itself could not be made, e.g. the TokenReview failed:
 * nothing is known about the credentials, so the answer is 500, not 401).
 */
export type AuthnOutcome =
  | { readonly kind: 'user'; readonly user: UserInfo; readonly source: AuthnSource }
  | { readonly kind: 'skip' }
  | { readonly kind: 'unavailable'; readonly source: AuthnSource; readonly reason: string; readonly detail: string }
  | { readonly kind: 'fail'; readonly source: AuthnSource; readonly check: CertCheck | 'token'; readonly reason: string; readonly subject?: string };

export const SKIP: AuthnOutcome = { kind: 'skip' };
