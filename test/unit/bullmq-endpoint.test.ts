import { expect } from 'chai';
import { parseEndpoint, redactUrl } from '../../src/sources/bullmq-endpoint.js';

describe('bullmq-endpoint', () => {
  it('parses a single server URL with defaults', () => {
    expect(parseEndpoint('redis://127.0.0.1')).to.deep.equal({
      cluster: false,
      nodes: [{ host: '127.0.0.1', port: 6379 }],
      db: 0,
      tls: false,
      address: '127.0.0.1:6379',
      redacted: 'redis://127.0.0.1',
    });
  });

  it('parses user, password, db and TLS, and keeps the password out of redacted', () => {
    const e = parseEndpoint('rediss://reader:s%40cret@redis.example:6380/2');
    expect(e).to.include({ cluster: false, username: 'reader', password: 's@cret', db: 2, tls: true });
    expect(e.address).to.equal('redis.example:6380');
    expect(e.redacted).to.equal('rediss://reader@redis.example:6380/2');
  });

  it('parses a password-only URL', () => {
    const e = parseEndpoint('redis://:pw@h:1');
    expect(e.password).to.equal('pw');
    expect(e.username).to.equal(undefined);
    expect(e.redacted).to.equal('redis://h:1');
  });

  it('parses IPv6 hosts', () => {
    expect(parseEndpoint('redis://[::1]:7000').nodes).to.deep.equal([{ host: '::1', port: 7000 }]);
    expect(parseEndpoint('redis://[::1]:7000').address).to.equal('[::1]:7000');
  });

  const clusterTable: [url: string, option: boolean | undefined, cluster: boolean][] = [
    ['redis-cluster://a:1,b:2', undefined, true],
    ['rediss-cluster://a:1', undefined, true],
    ['redis://a:1,b:2', undefined, true],
    ['redis://a:1', true, true],
    ['redis://a:1', undefined, false],
    ['redis-cluster://a:1', false, false],
  ];
  for (const [url, option, cluster] of clusterTable) {
    it(`${url} with cluster=${String(option)} → cluster ${cluster}`, () => {
      expect(parseEndpoint(url, option).cluster).to.equal(cluster);
    });
  }

  it('names every seed node of a cluster', () => {
    const e = parseEndpoint('rediss-cluster://u:p@a:7000,b:7001');
    expect(e.address).to.equal('a:7000,b:7001');
    expect(e.tls).to.equal(true);
    expect(e.redacted).to.equal('rediss-cluster://u@a:7000,b:7001');
  });

  const bad: [url: string, cluster: boolean | undefined, message: RegExp][] = [
    ['http://a:1', undefined, /unsupported Redis URL/],
    ['redis://:pw@a:1?x=1', undefined, /unsupported Redis URL "redis:\/\/a:1\?x=1"/],
    ['redis://a:99999', undefined, /invalid Redis host/],
    ['redis://', undefined, /invalid Redis host/],
    ['redis://a:1,b:2', false, /several hosts need cluster mode/],
    ['redis-cluster://a:1/3', undefined, /only database 0/],
  ];
  for (const [url, cluster, message] of bad) {
    it(`rejects ${url}`, () => {
      expect(() => parseEndpoint(url, cluster)).to.throw(message);
    });
  }

  it('redactUrl never leaks a password', () => {
    expect(redactUrl('redis://user:pw@h:1')).to.equal('redis://user@h:1');
    expect(redactUrl('redis://:pw@h:1')).to.equal('redis://h:1');
    expect(redactUrl('redis://h:1')).to.equal('redis://h:1');
  });
});
