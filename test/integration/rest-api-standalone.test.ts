/** Standalone mode has no Kubernetes: the REST autoscaler API says it needs cluster mode. */
import { expect } from 'chai';
import { startAdapter, type AdapterProcess } from '../helpers/adapter.js';

describe('REST autoscaler API in standalone mode', function () {
  this.timeout(30_000);
  let adapter: AdapterProcess | undefined;

  before(async () => {
    adapter = await startAdapter({});
  });
  after(async () => {
    await adapter?.stop();
  });

  for (const [method, path] of [['POST', '/api/v1/autoscaling'], ['GET', '/api/v1/autoscaling'], ['GET', '/api/v1/autoscaling/metrics'], ['DELETE', '/api/v1/autoscaling/ml.llm']]) {
    it(`${method} ${path} answers 503 naming cluster mode`, async () => {
      const res = await fetch(`http://127.0.0.1:${adapter?.httpPort}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(res.status).to.equal(503);
      const body = (await res.json()) as { error: string; details: string };
      expect(body.error).to.equal('the REST autoscaler API needs cluster mode');
      expect(body.details).to.contain('--kubeconfig');
    });
  }

  it('leaves /metrics and the probes alone', async () => {
    expect((await fetch(`http://127.0.0.1:${adapter?.httpPort}/healthz`)).status).to.equal(200);
    expect((await fetch(`http://127.0.0.1:${adapter?.httpPort}/metrics`)).status).to.equal(200);
  });
});
