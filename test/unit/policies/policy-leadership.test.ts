import { expect } from 'chai';
import { Command } from 'commander';
import { KubeConfig } from '@kubernetes/client-node';
import { addServeFlags } from '../../../src/cli/serve-flags.js';
import { resolveServeConfig } from '../../../src/cli/serve.js';
import { ConfigError, parseConfig } from '../../../src/config/index.js';
import { policyLeaderElector } from '../../../src/policies/policy-leadership.js';
import { silentLogger } from '../../../src/util/log.js';

const parse = (args: string[]) => {
  const cmd = addServeFlags(new Command('serve')).exitOverride();
  cmd.parse(['node', 'serve', '--standalone', ...args]);
  return resolveServeConfig(cmd.opts(), {});
};

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('policy controller leader election settings', () => {
  it('is on by default, with its own Lease and client-go\'s timings', () => {
    expect(parse([]).policies.leaderElection).to.deep.equal({
      enabled: true, leaseName: 'ai-metrics-adapter-policies', leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2,
    });
  });

  it('flags override the file; an absent flag leaves enabled alone', () => {
    expect(parse(['--no-policy-leader-elect']).policies.leaderElection.enabled).to.equal(false);
    expect(parse(['--policy-leader-elect']).policies.leaderElection.enabled).to.equal(true);
    const c = parse(['--policy-lease-name', 'my-lease', '--policy-lease-namespace', 'ops']).policies.leaderElection;
    expect(c).to.include({ enabled: true, leaseName: 'my-lease', leaseNamespace: 'ops' });
    expect(parseConfig({ policies: { leaderElection: { enabled: false } } }, 'file').policies.leaderElection.enabled).to.equal(false);
  });

  it('rejects timings the elector cannot keep, naming the field', () => {
    expect(() => parseConfig({ policies: { leaderElection: { leaseDurationSeconds: 10, renewDeadlineSeconds: 10 } } }, 'file'))
      .to.throw(ConfigError, /policies\.leaderElection\.renewDeadlineSeconds.*less than leaseDurationSeconds/);
    expect(() => parseConfig({ policies: { leaderElection: { retryPeriodSeconds: 10 } } }, 'file'))
      .to.throw(ConfigError, /policies\.leaderElection\.retryPeriodSeconds/);
  });

  it('keeps the Lease in the configured namespace, else the pod\'s, else the Service\'s, else ai-metrics-adapter', () => {
    const le = parseConfig({}, 'defaults').policies.leaderElection;
    const base = { kubeConfig: kubeConfig(), log: silentLogger, onStartedLeading: () => undefined, namespaceFile: '/nonexistent/namespace' };
    const elector = (over: object) => policyLeaderElector({ ...base, settings: le, ...over });
    expect(elector({ settings: { ...le, leaseNamespace: 'ops' }, env: { POD_NAMESPACE: 'pod-ns' } }).namespace).to.equal('ops');
    expect(elector({ env: { POD_NAMESPACE: 'pod-ns' }, serviceNamespace: 'svc-ns' }).namespace).to.equal('pod-ns');
    expect(elector({ env: {}, serviceNamespace: 'svc-ns' }).namespace).to.equal('svc-ns');
    expect(elector({ env: {} }).namespace).to.equal('ai-metrics-adapter');
    const e = elector({ env: { POD_NAME: 'ai-metrics-adapter-7d9f-abc' } });
    expect(e.name).to.equal('ai-metrics-adapter-policies');
    expect(e.identity).to.equal('ai-metrics-adapter-7d9f-abc');
  });
});
