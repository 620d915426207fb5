import { expect } from 'chai';
import { PodInfoCache } from '../../../../src/nodescaler/cluster/pod-info-cache.js';
import { pdb, pod } from './objects.js';

describe('node-scaler PodInfoCache', () => {
  it('converts a pod object once; a replaced object (the informer saw a change) is converted again', () => {
    const cache = new PodInfoCache();
    const a = pod('a', { gpus: 2 });
    const b = pod('b', { gpus: 1 });
    const [a1, b1] = cache.convert([a, b], []);
    const [a2, b2] = cache.convert([a, b], []);
    expect(a2).to.equal(a1);
    expect(b2).to.equal(b1);
    const bNew = pod('b', { gpus: 4 });
    const [, b3] = cache.convert([a, bNew], []);
    expect(b3).to.not.equal(b1);
    expect(b3!.requests).to.deep.equal({ 'nvidia.com/gpu': 4 });
  });

  it('starts over when the PDBs change, so pod→PDB links follow them', () => {
    const cache = new PodInfoCache();
    const a = pod('a', { gpus: 2, labels: { app: 'x' } });
    expect(cache.convert([a], [])[0]!.pdbs ?? []).to.deep.equal([]);
    expect(cache.convert([a], [pdb('guard', { matchLabels: { app: 'x' } }, 'ml', 0)])[0]!.pdbs).to.deep.equal(['ml/guard']);
  });

  it('keeps leaving out terminal pods', () => {
    const cache = new PodInfoCache();
    const done = pod('done', { node: 'n1', phase: 'Succeeded' });
    expect(cache.convert([done], [])).to.deep.equal([]);
    expect(cache.convert([done], [])).to.deep.equal([]);
  });
});
