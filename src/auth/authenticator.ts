import type { IncomingMessage } from 'node:http';
import type { AuthSnapshot } from './auth-config.js';
import { authenticateClientCert } from './client-cert.js';
import { authenticateFrontProxy, stripIdentityHeaders } from './front-proxy.js';
import type { AuthnOutcome } from './outcome.js';
import { peerCertificates } from './peer-certificates.js';
import type { TokenAuthenticator } from './token-review.js';
import { withAuthenticatedGroup, type UserInfo } from './user.js';

export type AuthnFailure = Extract<AuthnOutcome, { kind: 'fail' }>;

export type AuthnUnavailable = Extract<AuthnOutcome, { kind: 'unavailable' }>;

/**
 * The user, or why there is none (`failures` empty: the request carried no credentials at all;
 * `unavailable`: a check could not be made, so the credentials may be valid).
 */
export type AuthnResult =
  | { readonly user: UserInfo; readonly source: string }
  | { readonly user?: undefined; readonly failures: readonly AuthnFailure[]; readonly unavailable?: AuthnUnavailable };

/**
 * Go's delegating authenticator, in its order: front proxy, then client certificate, then
 * bearer token; the first that yields a user wins, and the user joins `system:authenticated`.
 * Identity headers are removed afterwards whoever sent them.
 */
export class DelegatingAuthenticator {
  constructor(
    private readonly config: () => AuthSnapshot,
    private readonly tokens?: TokenAuthenticator,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(req: IncomingMessage): Promise<AuthnResult> {
    const snapshot = this.config();
    const peer = peerCertificates(req.socket);
    const now = this.now();
    const failures: AuthnFailure[] = [];
    let unavailable: AuthnUnavailable | undefined;
    const attempts: (() => AuthnOutcome | Promise<AuthnOutcome>)[] = [
      () => authenticateFrontProxy(snapshot.requestHeader, peer, req.headersDistinct, now),
      () => authenticateClientCert(snapshot.clientCAs, peer, now),
      () => this.tokens?.authenticate(req.headers.authorization) ?? { kind: 'skip' },
    ];
    try {
      for (const attempt of attempts) {
        const outcome = await attempt();
        if (outcome.kind === 'user') return { user: withAuthenticatedGroup(outcome.user), source: outcome.source };
        if (outcome.kind === 'fail') failures.push(outcome);
        if (outcome.kind === 'unavailable') unavailable ??= outcome;
      }
      return unavailable ? { failures, unavailable } : { failures };
    } finally {
      stripIdentityHeaders(req, snapshot.requestHeader);
    }
  }
}
