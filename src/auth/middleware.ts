import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { forbidden, internalError, statusResponse, type StatusResponse } from '../apiserver/index.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import type { AuthnFailure, DelegatingAuthenticator } from './authenticator.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { requestAttributes, type RequestAttributes } from './request-attributes.js';
import type { SarAuthorizer } from './subject-access-review.js';
import { PRIVILEGED_GROUP, type UserInfo } from './user.js';

/**
 * Paths anyone may read without credentials: probes (Go's AlwaysAllowPaths, here with their
 * sub-paths), the OpenAPI paths (the aggregator must get a clean 404, never 401/403) and
 * /version (public-info-viewer grants it to everyone in a default cluster).
 */
export function isOpenPath(path: string): boolean {
  return /^\/(healthz|livez|readyz|openapi)(\/.*)?$/.test(path) || path === '/version' || path === '/version/';
}

export interface AuthMiddlewareOptions {
  readonly authenticator: DelegatingAuthenticator;
  readonly authorizer: SarAuthorizer;
  readonly log: Logger;
}

/**
 * Authentication then authorization for every other path: no identity → 401, a denied
 * SubjectAccessReview → 403 naming user, verb and resource, a review that failed → 500.
 * A TokenReview that could not be made (kube-apiserver unreachable, 5xx, timeout) is a 500
 * InternalError "authentication unavailable: …" too: a 401 would tell the client its
 * credentials are bad (and make it drop or refresh them) when nobody checked them. Go's
 * WithAuthentication answers 401 here; this is a deliberate difference.
 * A request that also failed another check (e.g. an unknown client certificate) gets the 500
 * as well: the token it carried may be valid.
 * `system:masters` is allowed without a review (the aggregator's availability probe).
 */
export function authMiddleware(opts: AuthMiddlewareOptions): RequestHandler {
  const failures = new RateLimitedLog(opts.log);
  return async (req: Request, res: Response, next: NextFunction) => {
    if (isOpenPath(req.path)) return next();
    const authn = await opts.authenticator.authenticate(req);
    if (!authn.user) {
      if (authn.unavailable) {
        const u = authn.unavailable;
        failures.error(`unavailable:${u.source}`, { source: u.source, err: u.detail, remote: req.socket.remoteAddress, path: req.path }, 'authentication unavailable');
        return send(res, internalError(`authentication unavailable: ${u.reason}`));
      }
      if (authn.failures.length > 0) logFailure(failures, authn.failures, req);
      return send(res, statusResponse(401, 'Unauthorized'));
    }
    const user = authn.user;
    if (user.groups.includes(PRIVILEGED_GROUP)) return next();
    const attrs = attributesOf(req);
    let decision;
    try {
      decision = await opts.authorizer.authorize(user, attrs);
    } catch (err) {
      opts.log.error({ err: errorMessage(err), user: user.name, path: req.path }, 'subjectaccessreview failed');
      return send(res, internalError('unable to authorize the request'));
    }
    if (decision.allowed) return next();
    opts.log.debug({ user: user.name, attrs, reason: decision.reason }, 'forbidden');
    send(res, forbiddenStatus(user, attrs, decision.reason));
  };
}

function attributesOf(req: Request): RequestAttributes {
  const url = req.originalUrl;
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // Keep the raw path; the handler answers 400 for the bad escape once authorized.
  }
  return requestAttributes(req.method, path, q < 0 ? '' : url.slice(q + 1));
}

function forbiddenStatus(user: UserInfo, attrs: RequestAttributes, reason: string): StatusResponse {
  const why = reason === '' ? {} : { reason };
  if (attrs.kind === 'nonResource') return forbidden({ user: user.name, verb: attrs.verb, group: '', path: attrs.path, ...why });
  return forbidden({
    user: user.name,
    verb: attrs.verb,
    group: attrs.group,
    resource: attrs.resource,
    ...(attrs.subresource === '' ? {} : { subresource: attrs.subresource }),
    ...(attrs.name === '' ? {} : { name: attrs.name }),
    ...(attrs.namespace === '' ? {} : { namespace: attrs.namespace }),
    ...why,
  });
}

/** One line per rejected request: the first authenticator's failed check, the others' reasons in `also`. */
function logFailure(log: RateLimitedLog, all: readonly AuthnFailure[], req: Request): void {
  const [f, ...rest] = all;
  if (!f) return;
  log.warn(
    `${f.source}:${f.check}:${f.subject ?? ''}`,
    {
      source: f.source, check: f.check, reason: f.reason, subject: f.subject,
      also: rest.map((o) => `${o.source}: ${o.reason}`), remote: req.socket.remoteAddress, path: req.path,
    },
    'authentication failed',
  );
}

function send(res: Response, s: StatusResponse): void {
  if (res.headersSent) return;
  res.status(s.code).json(s.body);
}
