/**
 * /readyz turns ready only once every source has completed its first poll, while
 * discovery answers from the first moment (the aggregator probes it right away).
 */
import { expect } from 'chai';
import { FixtureServer } from '../helpers/fixture-server.js';
import { startAdapter, eventually, type AdapterProcess } from '../helpers/adapter.js';
import { getRaw } from '../helpers/kubectl.js';

describe('readiness', function () {
  this.timeout(30_000);
  let fixture: FixtureServer;
  let adapter: AdapterProcess;

  before(async () => {
    fixture = await FixtureServer.start();
    fixture.behave('/dcgm', { kind: 'hang' });
    adapter = await startAdapter({ dcgm: { urls: [fixture.url('/dcgm')], intervalSeconds: 1, timeoutSeconds: 4 }, bullmq: { urls: [] } });
  });

  after(async () => {
    await adapter?.stop();
    await fixture?.close();
  });

  it('is not ready before the first poll, yet discovery already answers', async () => {
    const r = await fetch(`http://127.0.0.1:${adapter.httpPort}/readyz?verbose`);
    expect(r.status).to.equal(500);
    expect(await r.text()).to.contain('[-]first-poll failed');
    const list = await getRaw<{ resources: unknown[] }>(adapter.kubeconfig, '/apis/custom.metrics.k8s.io/v1beta2');
    expect(list.resources.length).to.be.greaterThan(0);
    expect((await fetch(`http://127.0.0.1:${adapter.httpPort}/healthz`)).status).to.equal(200);
  });

  it('is ready once the first poll completed, even a failed one (errors are then served per metric)', async () => {
    fixture.behave('/dcgm', { kind: 'ok' });
    await eventually(async () => expect((await fetch(`http://127.0.0.1:${adapter.httpPort}/readyz`)).status).to.equal(200), 10_000);
  });
});
