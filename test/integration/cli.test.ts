/** `ai-metrics-adapter serve` as a user meets it: --help, and bad flags or config. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('serve command line', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'ama-cli-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help documents every flag', () => {
    const r = cli('serve', '--help');
    expect(r.code).to.equal(0);
    for (const flag of [
      '--config', '--kubeconfig', '--standalone', '--bind-address', '--secure-port', '--http-port', '--tls-cert-file',
      '--tls-private-key-file', '--redis-url', '--bullmq-prefix', '--prometheus-url', '--dcgm-url', '--log-level',
      '--grpc-port', '--grpc-tls-cert-file', '--grpc-tls-key-file', '--grpc-client-ca-file', '--client-ca-file',
      '--requestheader-client-ca-file', '--requestheader-allowed-names', '--service-name', '--service-namespace',
    ]) expect(r.out).to.contain(flag);
  });

  const bad: [string[], RegExp][] = [
    [['--secure-port', 'https'], /--secure-port must be a port number/],
    [['--redis-url', 'http://127.0.0.1:6379'], /bullmq\.urls\[0\] \(--redis-url\): must be a redis:\/\//],
    [['--prometheus-url', 'not a url'], /prometheus\.url \(--prometheus-url\)/],
    [['--log-level', 'loud'], /logLevel \(--log-level\)/],
    [['--tls-cert-file', '/tmp/x.crt'], /--tls-cert-file and --tls-private-key-file must be given together/],
  ];
  for (const [args, want] of bad) {
    it(`exits non-zero naming the field for: ${args.join(' ')}`, () => {
      const r = cli('serve', '--standalone', ...args);
      expect(r.code).to.not.equal(0);
      expect(r.err).to.match(want);
    });
  }

  it('reports config file errors by file and path', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'dcgm:\n  urls: [http://ok:9400/metrics]\n  intervalSecond: 5\nbullmq:\n  prefixes: [""]\n');
    const r = cli('serve', '--standalone', '--config', file);
    expect(r.code).to.not.equal(0);
    expect(r.err).to.contain(`${file}: dcgm: Unrecognized key: "intervalSecond"`);
    expect(r.err).to.contain(`${file}: bullmq.prefixes[0]`);
  });

  it('reports a missing config file', () => {
    const r = cli('serve', '--config', join(dir, 'nope.yaml'));
    expect(r.code).to.not.equal(0);
    expect(r.err).to.match(/--config .*nope\.yaml: ENOENT/);
  });
});
