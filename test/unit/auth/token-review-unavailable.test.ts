/**
 * A TokenReview that could not be made (kube-apiserver unreachable, 5xx, timeout) is not a
 * verdict on the token: the metrics API answers a 500 InternalError Status and the REST API a
 * 500, never the 401 that tells a client its credentials are bad. A review that completes with
 * authenticated=false stays 401.
 */
import type { Request, Response } from 'express';
import { expect } from 'chai';
import { pino } from 'pino';
import { DelegatingAuthenticator, SarAuthorizer, TokenAuthenticator, authMiddleware, type TokenReviewer } from '../../../src/auth/index.js';
import { ReviewTimeoutError, describeReviewFailure } from '../../../src/auth/review-errors.js';
import { RestAuth } from '../../../src/policies/rest-auth.js';

/** client-node's ApiException, as far as the classification reads it. */
class FakeApiException extends Error {
  constructor(readonly code: number, body: string) {
    super(`HTTP-Code: ${code}\nMessage: Unknown API Status Code!\nBody: ${body}`);
  }
}
const REFUSED = Object.assign(new Error('request to https://10.96.0.1:443/apis/authentication.k8s.io/v1/tokenreviews failed, reason: connect ECONNREFUSED 10.96.0.1:443'), { code: 'ECONNREFUSED' });

const reviewer = (outcome: 'valid' | 'rejected' | Error): TokenReviewer => async () => {
  if (outcome instanceof Error) throw outcome;
  return outcome === 'valid' ? { authenticated: true, user: { name: 'carol', groups: [], extra: {} } } : { authenticated: false, error: 'token has expired' };
};

interface Sent { code: number; body: Record<string, unknown> }

/** Runs the metrics API's middleware once; `next` or the Status it sent. */
async function metricsApi(review: TokenReviewer, authorization = 'Bearer tok'): Promise<{ next: boolean; sent?: Sent; logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (l: string) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
  const authenticator = new DelegatingAuthenticator(() => ({ clientCAs: [], acceptedCaPem: '' }), new TokenAuthenticator(review, 10_000));
  const authorizer = new SarAuthorizer(async () => ({ allowed: true }), 10_000, 10_000);
  const mw = authMiddleware({ authenticator, authorizer, log });
  const path = '/apis/custom.metrics.k8s.io/v1beta2';
  const req = { method: 'GET', path, originalUrl: path, headers: { authorization }, headersDistinct: { authorization: [authorization] }, socket: { remoteAddress: '10.0.0.9' } } as unknown as Request;
  let sent: Sent | undefined;
  const res = {
    headersSent: false,
    status(code: number) {
      return { json: (body: Record<string, unknown>) => void (sent = { code, body }) };
    },
  } as unknown as Response;
  let next = false;
  await mw(req, res, () => void (next = true));
  return { next, ...(sent ? { sent } : {}), logs };
}

describe('TokenReview that cannot be made', () => {
  it('classifies the failure without leaking the raw error', () => {
    expect(describeReviewFailure(new ReviewTimeoutError('tokenreview', 10_000), 'TokenReview')).to.equal('tokenreview: no answer from kube-apiserver within 10000 ms');
    expect(describeReviewFailure(new FakeApiException(503, '{"message":"etcd is down"}'), 'TokenReview')).to.equal('kube-apiserver answered the TokenReview with HTTP 503');
    expect(describeReviewFailure(REFUSED, 'TokenReview')).to.equal('kube-apiserver could not be reached for the TokenReview');
  });

  it('the token authenticator reports unavailable (not fail), with the raw error kept for the log', async () => {
    const out = await new TokenAuthenticator(reviewer(REFUSED), 10_000).authenticate('Bearer tok');
    expect(out).to.deep.equal({ kind: 'unavailable', source: 'token', reason: 'kube-apiserver could not be reached for the TokenReview', detail: REFUSED.message });
    expect(await new TokenAuthenticator(reviewer('rejected'), 10_000).authenticate('Bearer tok')).to.deep.include({ kind: 'fail', reason: 'token rejected: token has expired' });
  });

  for (const [what, err, reason] of [
    ['kube-apiserver unreachable', REFUSED, 'kube-apiserver could not be reached for the TokenReview'],
    ['kube-apiserver 5xx', new FakeApiException(500, '{}'), 'kube-apiserver answered the TokenReview with HTTP 500'],
    ['a timeout', new ReviewTimeoutError('tokenreview', 10_000), 'tokenreview: no answer from kube-apiserver within 10000 ms'],
  ] as const) {
    it(`metrics API: ${what} → 500 InternalError "authentication unavailable: …", logged at error level`, async () => {
      const r = await metricsApi(reviewer(err));
      expect(r.next).to.equal(false);
      expect(r.sent?.code).to.equal(500);
      expect(r.sent?.body).to.deep.include({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'InternalError', code: 500 });
      expect(r.sent?.body.message).to.equal(`Internal error occurred: authentication unavailable: ${reason}`);
      expect(JSON.stringify(r.sent?.body)).to.not.contain('10.96.0.1');
      const line = r.logs.find((l) => l.msg === 'authentication unavailable');
      expect(line).to.deep.include({ level: 50, source: 'token', err: err.message });
    });
  }

  it('metrics API: a completed review with authenticated=false stays 401; a valid token passes', async () => {
    const rejected = await metricsApi(reviewer('rejected'));
    expect(rejected.sent?.code).to.equal(401);
    expect(rejected.sent?.body).to.deep.include({ reason: 'Unauthorized', message: 'Unauthorized' });
    expect((await metricsApi(reviewer('valid'))).next).to.equal(true);
    expect((await metricsApi(reviewer(REFUSED), '')).sent?.code, 'no credentials at all: no review, 401').to.equal(401);
  });

  it('REST API: 500 "authentication unavailable" when the review fails, 401 when it rejects the token', async () => {
    const settings = { tokenCacheSeconds: 10, allowCacheSeconds: 10, denyCacheSeconds: 10 };
    const api = (review: TokenReviewer) => ({ tokenReview: review, subjectAccessReview: async () => ({ allowed: true }), readAuthConfigMap: async () => ({}) });
    expect(await new RestAuth(api(reviewer(new FakeApiException(503, '{}'))), settings).authenticate('Bearer tok')).to.deep.equal({
      ok: false, code: 500, error: 'authentication unavailable', details: 'kube-apiserver answered the TokenReview with HTTP 503',
    });
    expect(await new RestAuth(api(reviewer('rejected')), settings).authenticate('Bearer tok')).to.deep.include({ ok: false, code: 401 });
  });
});
