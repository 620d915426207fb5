import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createDcgmNodeFeed, DcgmWindow } from '../../../../src/nodescaler/cluster/dcgm-window.js';
import { silentLogger } from '../../../../src/util/log.js';

const FIXTURE = readFileSync(new URL('../../../fixtures/dcgm/multi-gpu.txt', import.meta.url), 'utf8');

describe('node-scaler cluster: createDcgmNodeFeed', () => {
  let server: Server;
  let url = '';

  before(async () => {
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(FIXTURE));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('polls dcgm-exporter and records each node’s mean over all its GPUs (fraction)', async () => {
    const window = new DcgmWindow({ windowSeconds: 600, maxAgeSeconds: 30 });
    const feed = await createDcgmNodeFeed({ urls: [url], window, log: silentLogger, intervalSeconds: 3600 });
    try {
      await feed.start();
      // GR_ENGINE_ACTIVE 0.9, 0.5, 0.1 and GPU_UTIL 30 % on the GPU without profiling (idle GPUs count).
      const r = window.read('gpu-node-c3', Date.now());
      expect(r?.util).to.be.closeTo(0.45, 1e-9);
      expect(r?.ageSeconds).to.be.lessThan(5);
    } finally {
      await feed.stop();
    }
  });

  it('records nothing while a source fails: its nodes stay unknown', async () => {
    const window = new DcgmWindow({ windowSeconds: 600, maxAgeSeconds: 30 });
    const feed = await createDcgmNodeFeed({ urls: [url, 'http://127.0.0.1:1/metrics'], window, log: silentLogger, intervalSeconds: 3600, timeoutSeconds: 2 });
    try {
      await feed.start();
      expect(window.read('gpu-node-c3', Date.now())).to.equal(undefined);
    } finally {
      await feed.stop();
    }
  });
});
