import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthConfigSource } from '../../../src/auth/index.js';
import { silentLogger } from '../../../src/util/log.js';
import { makeCa } from '../../helpers/x509.js';

describe('AuthConfigSource', function () {
  this.timeout(20_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'ama-authcfg-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the ConfigMap keys; header names lower-cased; client CAs from file and ConfigMap', async () => {
    const [fp, kubeClient, extraClient] = [await makeCa('fp'), await makeCa('kube-client'), await makeCa('extra-client')];
    writeFileSync(join(dir, 'client-ca.crt'), extraClient.cert);
    const src = new AuthConfigSource({
      readConfigMap: async () => ({
        'requestheader-client-ca-file': fp.cert,
        'requestheader-allowed-names': '["front-proxy-client","aggregator"]',
        'requestheader-username-headers': '["X-Remote-User"]',
        'requestheader-group-headers': '["X-Remote-Group"]',
        'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
        'requestheader-uid-headers': '["X-Remote-Uid"]',
        'client-ca-file': kubeClient.cert,
      }),
      clientCaFile: join(dir, 'client-ca.crt'),
      refreshMs: 60_000,
      log: silentLogger,
    });
    expect(src.loaded).to.equal(false);
    expect(await src.refresh()).to.equal(true);
    expect(src.loaded).to.equal(true);
    const s = src.current();
    expect(s.requestHeader).to.deep.include({
      allowedNames: ['front-proxy-client', 'aggregator'], usernameHeaders: ['x-remote-user'], groupHeaders: ['x-remote-group'],
      extraHeaderPrefixes: ['x-remote-extra-'], uidHeaders: ['x-remote-uid'],
    });
    expect(s.requestHeader?.roots.map((c) => c.subject)).to.deep.equal(['CN=fp']);
    expect(s.clientCAs.map((c) => c.subject)).to.deep.equal(['CN=extra-client', 'CN=kube-client']);
    expect(s.acceptedCaPem.match(/BEGIN CERTIFICATE/g)).to.have.length(3);
  });

  it('turns front-proxy authentication off without a requestheader CA; a missing ConfigMap still counts as loaded', async () => {
    const src = new AuthConfigSource({ readConfigMap: async () => undefined, refreshMs: 60_000, log: silentLogger });
    expect(await src.refresh()).to.equal(true);
    expect(src.current().requestHeader).to.equal(undefined);
    expect(src.current().clientCAs).to.deep.equal([]);
  });

  it('is not loaded while the ConfigMap cannot be read or is malformed, and keeps the last good settings', async () => {
    const fp = await makeCa('fp');
    let data: Record<string, string> | Error = new Error('forbidden');
    const src = new AuthConfigSource({
      readConfigMap: async () => {
        if (data instanceof Error) throw data;
        return data;
      },
      refreshMs: 60_000,
      log: silentLogger,
    });
    expect(await src.refresh()).to.equal(false);
    expect(src.loaded).to.equal(false);
    data = { 'requestheader-client-ca-file': fp.cert, 'requestheader-allowed-names': 'not json' };
    expect(await src.refresh()).to.equal(false);
    expect(src.loaded).to.equal(false);
    data = { 'requestheader-client-ca-file': fp.cert, 'requestheader-allowed-names': '[]' };
    expect(await src.refresh()).to.equal(true);
    const good = src.current();
    data = new Error('apiserver down');
    expect(await src.refresh()).to.equal(false);
    expect(src.loaded).to.equal(true);
    expect(src.current()).to.equal(good);
  });

  it('with --requestheader-client-ca-file, front-proxy settings come from flags and the standard headers', async () => {
    const [fileCa, cmCa] = [await makeCa('file-fp'), await makeCa('cm-fp')];
    writeFileSync(join(dir, 'fp.crt'), fileCa.cert);
    let changes = 0;
    const src = new AuthConfigSource({
      readConfigMap: async () => ({ 'requestheader-client-ca-file': cmCa.cert, 'requestheader-allowed-names': '["x"]' }),
      requestHeaderCaFile: join(dir, 'fp.crt'),
      requestHeaderAllowedNames: ['proxy'],
      refreshMs: 60_000,
      log: silentLogger,
    });
    src.onChange(() => changes++);
    await src.refresh();
    expect(src.current().requestHeader).to.deep.include({
      allowedNames: ['proxy'], usernameHeaders: ['x-remote-user'], groupHeaders: ['x-remote-group'], extraHeaderPrefixes: ['x-remote-extra-'], uidHeaders: [],
    });
    expect(src.current().requestHeader?.roots.map((c) => c.subject)).to.deep.equal(['CN=file-fp']);
    await src.refresh();
    expect(changes).to.equal(1);
    // The file rotates: picked up on the next read.
    const rotated = await makeCa('file-fp-2');
    writeFileSync(join(dir, 'fp.crt'), rotated.cert);
    await src.refresh();
    expect(changes).to.equal(2);
    expect(src.current().requestHeader?.roots.map((c) => c.subject)).to.deep.equal(['CN=file-fp-2']);
  });
});
