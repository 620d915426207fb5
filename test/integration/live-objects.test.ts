/**
 * LiveObjects (the pod and node list+watch behind label selectors) against the kube-apiserver
 * stand-in: it lists, watches, and stop() ends the watches for good.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import { LiveObjects } from '../../src/kube/live-objects.js';
import { FakeKubeApiServer } from '../helpers/fake-kube-apiserver.js';

describe('LiveObjects (list+watch against a kube-apiserver stand-in)', function () {
  this.timeout(20_000);

  it('stop() ends both watches for good: no "restarting" warning, no list or watch afterwards', async () => {
    const kube = await FakeKubeApiServer.start();
    const logs: { msg?: string }[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg?: string }) });
    try {
      kube.pods = [{ namespace: 'ml', name: 'worker-0', labels: { app: 'worker' } }];
      const objects = new LiveObjects(kube.kubeConfig(), log);
      await objects.start();
      expect(objects.synced).to.equal(true);
      expect(objects.exists('pods', 'ml', 'worker-0')).to.equal(true);
      await new Promise((r) => setTimeout(r, 200)); // both watches open
      expect([...kube.objectRequests].sort()).to.deep.equal(['GET /api/v1/nodes', 'GET /api/v1/pods', 'WATCH /api/v1/nodes', 'WATCH /api/v1/pods']);

      await objects.stop();
      // Longer than the 2 s after which a failed watch is restarted.
      await new Promise((r) => setTimeout(r, 3_000));
      expect(kube.objectRequests, 'requests after stop()').to.have.length(4);
      expect(logs.filter((l) => l.msg === 'watch failed; restarting')).to.deep.equal([]);
    } finally {
      await kube.close();
    }
  });
});
