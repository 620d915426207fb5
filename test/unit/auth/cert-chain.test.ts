import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { parsePemBundle, parseSubject, verifyClientChain } from '../../../src/auth/index.js';
import { makeCa, makeLeaf } from '../../helpers/x509.js';

const HOUR = 3600_000;
const x = (pem: string) => new X509Certificate(pem);

describe('verifyClientChain (Go x509.Verify with ClientAuth usage)', function () {
  this.timeout(20_000);

  it('accepts a leaf signed by a root, and one through a presented intermediate', async () => {
    const root = await makeCa('root');
    const mid = await makeCa('mid', { issuer: root });
    const direct = await makeLeaf({ cn: 'a', issuer: root, usage: 'client' });
    const viaMid = await makeLeaf({ cn: 'b', issuer: mid, usage: 'client' });
    expect(verifyClientChain(x(direct.cert), [], [x(root.cert)]).ok).to.equal(true);
    const r = verifyClientChain(x(viaMid.cert), [x(mid.cert)], [x(root.cert)]);
    expect(r.ok && r.chain.map((c) => c.subject)).to.deep.equal(['CN=b', 'CN=mid', 'CN=root']);
    expect(verifyClientChain(x(viaMid.cert), [], [x(root.cert)])).to.include({ ok: false, check: 'ca' });
  });

  it('names the failed check: ca, expiry, usage', async () => {
    const root = await makeCa('root');
    const other = await makeCa('other');
    const expiredMid = await makeCa('mid', { issuer: root, notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) });
    const underExpired = await makeLeaf({ cn: 'c', issuer: expiredMid, usage: 'client' });
    const expired = await makeLeaf({ cn: 'd', issuer: root, usage: 'client', notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) });
    const server = await makeLeaf({ cn: 'e', issuer: root, usage: 'server' });
    const both = await makeLeaf({ cn: 'f', issuer: root, usage: 'both' });
    const roots = [x(root.cert)];
    expect(verifyClientChain(x((await makeLeaf({ cn: 'g', issuer: other, usage: 'client' })).cert), [], roots)).to.include({ ok: false, check: 'ca' });
    expect(verifyClientChain(x(expired.cert), [], roots)).to.include({ ok: false, check: 'expiry' });
    // An expired intermediate breaks the path (Go checks every certificate's window).
    expect(verifyClientChain(x(underExpired.cert), [x(expiredMid.cert)], roots)).to.include({ ok: false, check: 'ca' });
    expect(verifyClientChain(x(server.cert), [], roots)).to.include({ ok: false, check: 'usage' });
    expect(verifyClientChain(x(both.cert), [], roots).ok).to.equal(true);
    expect(verifyClientChain(x(both.cert), [], [])).to.include({ ok: false, check: 'ca' });
  });

  it('checks the clock it is given', async () => {
    const root = await makeCa('root');
    const leaf = await makeLeaf({ cn: 'a', issuer: root, usage: 'client' });
    expect(verifyClientChain(x(leaf.cert), [], [x(root.cert)], Date.now() + 48 * HOUR)).to.include({ ok: false, check: 'expiry' });
  });

  it('refuses a non-CA certificate as an issuer', async () => {
    const root = await makeCa('root');
    const notCa = await makeLeaf({ cn: 'not-a-ca', issuer: root, usage: 'client' });
    const leaf = await makeLeaf({ cn: 'a', issuer: notCa, usage: 'client' });
    expect(verifyClientChain(x(leaf.cert), [x(notCa.cert)], [x(root.cert)])).to.include({ ok: false, check: 'ca' });
  });

  it('parses PEM bundles and subjects', async () => {
    const a = await makeCa('a');
    const b = await makeCa('b');
    expect(parsePemBundle(`junk\n${a.cert}\n-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n${b.cert}`).map((c) => c.subject)).to.deep.equal(['CN=a', 'CN=b']);
    expect(parsePemBundle('')).to.deep.equal([]);
    expect(parseSubject('CN=bob\nO=team-a\nO=system:masters')).to.deep.equal({ commonName: 'bob', organizations: ['team-a', 'system:masters'] });
    expect(parseSubject('C=US\nO=a\\, b \\"c\\"\nCN=x\\+y=z\nCN=second')).to.deep.equal({ commonName: 'x+y=z', organizations: ['a, b "c"'] });
    expect(parseSubject('CN=caf\\C3\\A9')).to.deep.equal({ commonName: 'café', organizations: [] });
    expect(parseSubject(undefined)).to.deep.equal({ commonName: '', organizations: [] });
  });
});
