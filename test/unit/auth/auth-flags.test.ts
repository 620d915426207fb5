import { expect } from 'chai';
import { Command } from 'commander';
import { addServeFlags } from '../../../src/cli/serve-flags.js';
import { resolveServeConfig } from '../../../src/cli/serve.js';

describe('auth and serving flags', () => {
  const parse = (args: string[]) => {
    const cmd = addServeFlags(new Command('serve')).exitOverride();
    cmd.parse(['node', 'serve', ...args]);
    return resolveServeConfig(cmd.opts(), {});
  };

  it('land in the auth section and the service name', () => {
    const c = parse([
      '--standalone', '--client-ca-file', '/etc/ca.crt', '--requestheader-client-ca-file', '/etc/fp.crt',
      '--requestheader-allowed-names', 'front-proxy-client,aggregator', '--service-name', 'metrics', '--service-namespace', 'mon',
    ]);
    expect(c.auth).to.deep.include({
      clientCaFile: '/etc/ca.crt', requestheaderClientCaFile: '/etc/fp.crt', requestheaderAllowedNames: ['front-proxy-client', 'aggregator'],
    });
    expect(c).to.include({ serviceName: 'metrics', serviceNamespace: 'mon' });
  });

  it('default to Go\'s cache TTLs and a one-minute ConfigMap refresh', () => {
    const c = parse(['--standalone']);
    expect(c.auth).to.deep.equal({ requestheaderAllowedNames: [], configMapRefreshSeconds: 60, tokenCacheSeconds: 10, allowCacheSeconds: 10, denyCacheSeconds: 10 });
    expect(c.serviceName).to.equal('ai-metrics-adapter');
  });
});
