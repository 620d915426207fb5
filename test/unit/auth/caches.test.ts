import { expect } from 'chai';
import { SarAuthorizer, TokenAuthenticator, bearerToken, isOpenPath, sarSpec, type SarSpec } from '../../../src/auth/index.js';
import type { UserInfo } from '../../../src/auth/index.js';
import { requestAttributes } from '../../../src/auth/index.js';

const alice: UserInfo = { name: 'alice', groups: ['g', 'system:authenticated'], extra: { z: ['1'], a: ['2'] } };
const attrs = requestAttributes('GET', '/apis/external.metrics.k8s.io/v1beta1/namespaces/ml/q');

describe('SubjectAccessReview authorizer', () => {
  it('builds the spec Go sends: empty fields left out, extra keys sorted', () => {
    expect(JSON.stringify(sarSpec(alice, attrs))).to.equal(
      JSON.stringify({
        resourceAttributes: { namespace: 'ml', verb: 'list', group: 'external.metrics.k8s.io', version: 'v1beta1', resource: 'q' },
        user: 'alice', groups: ['g', 'system:authenticated'], extra: { a: ['2'], z: ['1'] },
      }),
    );
    expect(sarSpec({ name: 'bob', uid: 'u1', groups: [], extra: {} }, requestAttributes('GET', '/apis'))).to.deep.equal({
      nonResourceAttributes: { path: '/apis', verb: 'get' }, user: 'bob', uid: 'u1',
    });
  });

  it('caches allow and deny answers for their own TTLs', async () => {
    let now = 0;
    const sent: SarSpec[] = [];
    let allow = true;
    const authz = new SarAuthorizer(async (spec) => (sent.push(spec), allow ? { allowed: true } : { allowed: false, reason: 'no' }), 10_000, 5_000, () => now);
    expect(await authz.authorize(alice, attrs)).to.deep.equal({ allowed: true });
    now = 9_999;
    await authz.authorize(alice, attrs);
    expect(sent).to.have.length(1);
    now = 10_001;
    allow = false;
    expect(await authz.authorize(alice, attrs)).to.deep.equal({ allowed: false, reason: 'no' });
    expect(sent).to.have.length(2);
    now = 15_000;
    await authz.authorize(alice, attrs);
    expect(sent).to.have.length(2);
    now = 15_002;
    await authz.authorize(alice, attrs);
    expect(sent).to.have.length(3);
  });

  it('treats denied and no-opinion answers as denials; failed reviews reject and are not cached', async () => {
    let calls = 0;
    const failing = new SarAuthorizer(async () => {
      calls++;
      throw new Error('down');
    }, 10_000, 10_000);
    await failing.authorize(alice, attrs).then(() => expect.fail('should reject'), (err: Error) => expect(err.message).to.equal('down'));
    await failing.authorize(alice, attrs).catch(() => undefined);
    expect(calls).to.equal(2);
    const both = new SarAuthorizer(async () => ({ allowed: true, denied: true, reason: 'r' }), 10_000, 10_000);
    expect(await both.authorize(alice, attrs)).to.deep.equal({ allowed: false, reason: 'r' });
    const noOpinion = new SarAuthorizer(async () => ({ allowed: false }), 10_000, 10_000);
    expect(await noOpinion.authorize(alice, attrs)).to.deep.equal({ allowed: false, reason: '' });
  });
});

describe('TokenReview authenticator', () => {
  it('reads Bearer tokens as Go does', () => {
    expect(bearerToken('Bearer abc')).to.equal('abc');
    expect(bearerToken('  bearer abc  ')).to.equal('abc');
    expect(bearerToken('Bearer abc def')).to.equal('abc');
    expect(bearerToken('Basic abc')).to.equal(undefined);
    expect(bearerToken('Bearer')).to.equal(undefined);
    expect(bearerToken('Bearer  x')).to.equal(undefined);
    expect(bearerToken(undefined)).to.equal(undefined);
  });

  it('caches positive and negative answers for the TTL, not failures', async () => {
    let now = 0;
    const asked: string[] = [];
    let fail = false;
    const tokens = new TokenAuthenticator(
      async (t) => {
        asked.push(t);
        if (fail) throw new Error('apiserver down');
        return t === 'good' ? { authenticated: true, user: { name: 'carol', groups: [], extra: {} } } : { authenticated: false, error: 'unknown' };
      },
      10_000,
      () => now,
    );
    expect(await tokens.authenticate('Bearer good')).to.deep.include({ kind: 'user' });
    expect(await tokens.authenticate('Bearer bad')).to.deep.include({ kind: 'fail', check: 'token', reason: 'token rejected: unknown' });
    await tokens.authenticate('Bearer good');
    await tokens.authenticate('Bearer bad');
    expect(asked).to.deep.equal(['good', 'bad']);
    now = 10_001;
    fail = true;
    expect(await tokens.authenticate('Bearer good')).to.deep.include({ kind: 'unavailable', source: 'token' });
    expect(await tokens.authenticate('Bearer good')).to.deep.include({ kind: 'unavailable', source: 'token' });
    expect(asked).to.have.length(4);
    expect(await tokens.authenticate(undefined)).to.deep.equal({ kind: 'skip' });
  });
});

describe('open paths', () => {
  it('are the probes, OpenAPI and /version only', () => {
    for (const p of ['/healthz', '/livez', '/readyz', '/readyz/ping', '/healthz/etcd', '/openapi/v2', '/openapi/v3', '/openapi/v3/apis/x/v1', '/version']) {
      expect(isOpenPath(p), p).to.equal(true);
    }
    for (const p of ['/apis', '/apis/custom.metrics.k8s.io/v1beta2', '/metrics', '/', '/healthzz', '/openapiv2', '/version/x']) {
      expect(isOpenPath(p), p).to.equal(false);
    }
  });
});
