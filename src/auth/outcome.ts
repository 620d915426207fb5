import type { CertCheck } from './cert-chain.js';
import type { UserInfo } from './user.js';

/** Which authenticator produced an outcome. */
export type AuthnSource = 'front-proxy' | 'client-cert' | 'token';

/** What one authenticator made of a request: a user, a failure, or "not for me". */
export type AuthnOutcome =
  | { readonly kind: 'user'; readonly user: UserInfo; readonly source: AuthnSource }
  | { readonly kind: 'skip' }
  | { readonly kind: 'fail'; readonly source: AuthnSource; readonly check: CertCheck | 'token'; readonly reason: string; readonly subject?: string };

export const SKIP: AuthnOutcome = { kind: 'skip' };
