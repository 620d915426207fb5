/** `ai-metrics-adapter doctor` against a running standalone adapter prints a readable report. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startAdapter, eventually, type AdapterProcess } from '../helpers/adapter.js';

function doctor(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'doctor', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('doctor', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let adapter: AdapterProcess;

  before(async () => {
    redis = await startRedis();
    adapter = await startAdapter({ bullmq: { intervalSeconds: 0.5, timeoutSeconds: 1 } }, ['--redis-url', redis.url]);
  });
  after(async () => {
    await adapter?.stop();
    await redis?.cleanup();
  });

  it('--help explains the command', () => {
    const r = doctor('--help');
    expect(r.code).to.equal(0);
    expect(r.out).to.contain('replay what the aggregator and the HPA do');
  });

  it('reports a healthy adapter: probe replayed, OpenAPI served, unconfigured metrics listed once', () => {
    const r = doctor('--kubeconfig', adapter.kubeconfig);
    expect(r.code, r.out + r.err).to.equal(0);
    expect(r.out).to.contain('(the adapter directly)');
    expect(r.out).to.match(/\[ok\] {3}discovery custom\.metrics\.k8s\.io\/v1beta2: 8 metric\(s\)/);
    expect(r.out).to.contain('[ok]   OpenAPI /openapi/v2: a valid Swagger 2.0 document');
    expect(r.out).to.match(/\[warn\] no source configured: pods nvidia_gpu_duty_cycle/);
    expect(r.out).to.contain('[warn] query external redis_queue_depth: answered with no items');
    expect(r.out).to.contain('0 problem(s), 2 warning(s).');
  });

  it('explains a failing source and exits 1', async () => {
    await redis.stop();
    const r = await eventually(async () => {
      const res = doctor('--kubeconfig', adapter.kubeconfig);
      expect(res.code).to.equal(1);
      return res;
    }, 10_000);
    expect(r.out).to.match(/\[FAIL\] query external redis_queue_depth: HTTP 503: ServiceUnavailable: .*ECONNREFUSED/);
    expect(r.out).to.contain('the HPA holds its replicas while a source is failing or stale');
  });

  it('says plainly when nothing answers', () => {
    const r = doctor('--kubeconfig', 'nope.yaml');
    expect(r.code).to.not.equal(0);
    expect(r.err).to.contain('--kubeconfig nope.yaml: no such file');
  });
});
