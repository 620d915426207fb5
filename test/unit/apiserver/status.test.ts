import { expect } from 'chai';
import { parseCustomPath, isPathError } from '../../../src/apiserver/paths.js';
import { parseSelector, SelectorParseError } from '../../../src/apiserver/selector.js';
import {
  codeForProviderError,
  forbidden,
  fromError,
  fromPathError,
  fromProviderError,
  internalError,
  notAcceptable,
  reasonForCode,
  statusResponse,
  timeoutError,
  tooManyRequests,
} from '../../../src/apiserver/status.js';
import { badRequest, metricNotFound, unavailable } from '../../../src/provider/errors.js';

describe('status', () => {
  const reasons: [number, string][] = [
    [400, 'BadRequest'],
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
    [404, 'NotFound'],
    [406, 'NotAcceptable'],
    [429, 'TooManyRequests'],
    [500, 'InternalError'],
    [503, 'ServiceUnavailable'],
    [504, 'Timeout'],
    [405, 'MethodNotAllowed'],
    [418, ''],
    [502, ''],
  ];
  for (const [code, reason] of reasons) {
    it(`${code} → ${JSON.stringify(reason)}`, () => expect(reasonForCode(code)).to.equal(reason));
  }

  it('maps provider error kinds to codes', () => {
    expect(codeForProviderError('BadRequest')).to.equal(400);
    expect(codeForProviderError('NotFound')).to.equal(404);
    expect(codeForProviderError('ServiceUnavailable')).to.equal(503);
  });

  it('builds a Status for a ProviderError, message untouched', () => {
    expect(fromProviderError(metricNotFound('gpu', 'pods'))).to.deep.equal({
      code: 404,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server could not find the metric gpu for pods',
        reason: 'NotFound',
        code: 404,
      },
    });
    const r = fromProviderError(unavailable('dcgm source is failing: connect ECONNREFUSED'));
    expect([r.code, r.body.reason, r.body.message]).to.deep.equal([503, 'ServiceUnavailable', 'dcgm source is failing: connect ECONNREFUSED']);
  });

  it('builds a Status from a path error', () => {
    const p = parseCustomPath('namespaces/ml/pods/foo');
    expect(isPathError(p)).to.equal(true);
    if (!isPathError(p)) return;
    const r = fromPathError(p);
    expect([r.code, r.body.reason, r.body.message]).to.deep.equal([400, 'BadRequest', 'invalid request path']);
  });

  it('maps any thrown error: provider, selector, other', () => {
    expect(fromError(badRequest('bad')).code).to.equal(400);
    let parseError: unknown;
    try {
      parseSelector('a b');
    } catch (err) {
      parseError = err;
    }
    expect(parseError).to.be.instanceOf(SelectorParseError);
    const sel = fromError(parseError);
    expect([sel.code, sel.body.reason]).to.deep.equal([400, 'BadRequest']);
    expect(sel.body.message).to.match(/^unable to parse requirement: found 'b'/);
    const other = fromError(new Error('redis password is hunter2'));
    expect(other.code).to.equal(500);
    expect(other.body.message).to.equal('Internal error occurred: unable to fetch metrics');
    expect(JSON.stringify(other.body)).not.to.include('hunter2');
  });

  it('internal error repeats the cause like Go NewInternalError', () => {
    expect(internalError('unable to fetch metrics').body).to.deep.equal({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Internal error occurred: unable to fetch metrics',
      reason: 'InternalError',
      details: { causes: [{ message: 'unable to fetch metrics' }] },
      code: 500,
    });
  });

  it('429, 504 and 406 helpers', () => {
    expect(tooManyRequests('slow down', 2).body.details).to.deep.equal({ retryAfterSeconds: 2 });
    expect(tooManyRequests('slow down', 2).body.reason).to.equal('TooManyRequests');
    expect(timeoutError('request did not complete within 5s').body.message).to.equal('Timeout: request did not complete within 5s');
    expect(timeoutError('x').body.details).to.equal(undefined);
    const na = notAcceptable();
    expect([na.code, na.body.reason, na.body.message]).to.deep.equal([406, 'NotAcceptable', 'only the following media types are accepted: application/json']);
  });

  it('statusResponse uses the code reason', () => {
    expect(statusResponse(401, 'Unauthorized').body.reason).to.equal('Unauthorized');
  });

  describe('forbidden (Kubernetes message format)', () => {
    it('namespaced metric request', () => {
      const r = forbidden({
        user: 'alice',
        verb: 'get',
        group: 'custom.metrics.k8s.io',
        resource: 'pods',
        subresource: 'nvidia_gpu_duty_cycle',
        name: '*',
        namespace: 'ml',
      });
      expect(r.code).to.equal(403);
      expect(r.body.message).to.equal(
        'pods.custom.metrics.k8s.io "*" is forbidden: User "alice" cannot get resource "pods/nvidia_gpu_duty_cycle" ' +
          'in API group "custom.metrics.k8s.io" in the namespace "ml"',
      );
      expect(r.body.details).to.deep.equal({ name: '*', group: 'custom.metrics.k8s.io', kind: 'pods' });
    });

    it('cluster scope, no name, with the authorizer reason', () => {
      const r = forbidden({ user: 'bob', verb: 'get', group: 'external.metrics.k8s.io', resource: 'redis_queue_depth', reason: 'no RBAC policy matched' });
      expect(r.body.message).to.equal(
        'redis_queue_depth.external.metrics.k8s.io is forbidden: User "bob" cannot get resource "redis_queue_depth" ' +
          'in API group "external.metrics.k8s.io" at the cluster scope: no RBAC policy matched',
      );
      expect(r.body.details).to.deep.equal({ group: 'external.metrics.k8s.io', kind: 'redis_queue_depth' });
    });

    it('non-resource path', () => {
      const r = forbidden({ user: 'system:anonymous', verb: 'get', group: '', path: '/apis/custom.metrics.k8s.io/v1beta2' });
      expect(r.body.message).to.equal('forbidden: User "system:anonymous" cannot get path "/apis/custom.metrics.k8s.io/v1beta2"');
      expect(r.body.reason).to.equal('Forbidden');
    });
  });
});
