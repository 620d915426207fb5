import { expect } from 'chai';
import { accrued, estimateCost, idleCost, interruptionOverheadMonthly } from '../../../src/nodescaler/cost.js';
import { config, rawPool } from './fixtures.js';

describe('node-scaler §4.9 cost model', () => {
  const cfg = config({}, [
    rawPool('spot', 'spot', { gpusPerNode: 1, pricePerHour: 1.2, onDemandReferencePrice: 3.06 }),
    rawPool('od', 'onDemand', { gpusPerNode: 1, pricePerHour: 3.06, onDemandReferencePrice: 3.06 }),
    rawPool('res', 'reserved', { gpusPerNode: 1, pricePerHour: 2, onDemandReferencePrice: 3.06, commitment: 3, max: 10 }),
  ]);
  const [spot, od, res] = cfg.pools as [typeof cfg.pools[0], typeof cfg.pools[0], typeof cfg.pools[0]];

  it('reproduces the worked check at H = 730: 6 spot × 1.20 + 4 OD × 3.06', () => {
    const c = estimateCost([
      { pool: spot, nodes: 6 },
      { pool: od, nodes: 4 },
    ]);
    expect(c.monthlyByTier.spot).to.be.closeTo(5256, 1e-6);
    expect(c.monthlyByTier.onDemand).to.be.closeTo(8935.2, 1e-6);
    expect(c.monthly).to.be.closeTo(14191.2, 1e-6);
    expect(c.baselineMonthly).to.be.closeTo(22338, 1e-6);
    expect(c.savingsMonthly).to.be.closeTo(8146.8, 1e-6);
    expect(c.savingsRatio).to.be.closeTo(0.3647, 1e-4);
    expect(c.savingsSpotMonthly).to.be.closeTo(8146.8, 1e-6);
    expect(c.runRatePerHour).to.be.closeTo(19.44, 1e-9);
  });

  it('and the earlier design figures at H = 720 ($13,996.80 / $22,032 / $8,035.20)', () => {
    const c = estimateCost([{ pool: spot, nodes: 6 }, { pool: od, nodes: 4 }], 720);
    expect([c.monthly, c.baselineMonthly, c.savingsMonthly].map((x) => Math.round(x * 100) / 100)).to.deep.equal([13996.8, 22032, 8035.2]);
  });

  it('charges reserved commitments whether used or not, and overflow at on-demand', () => {
    const under = estimateCost([{ pool: res, nodes: 1 }]);
    expect(under.monthlyByTier.reserved).to.be.closeTo(730 * 3 * 2, 1e-6);
    expect(under.unusedCommitmentMonthly).to.be.closeTo(730 * 2 * 2, 1e-6);
    expect(under.savingsReservedMonthly).to.be.closeTo(730 * (1 * 1.06 - 2 * 2), 1e-6);
    expect(under.savingsMonthly).to.be.closeTo(under.savingsReservedMonthly, 1e-6);
    const over = estimateCost([{ pool: res, nodes: 5 }]);
    expect(over.monthlyByTier.reserved).to.be.closeTo(730 * (3 * 2 + 2 * 3.06), 1e-6);
    expect(over.savingsMonthly).to.be.closeTo(730 * 3 * 1.06, 1e-6);
  });

  it('prices idle GPUs by allocation and by known DCGM utilisation', () => {
    const w = idleCost([
      { pricePerHour: 10, allocated: 2, allocatable: 8, util: 0.5 },
      { pricePerHour: 10, allocated: 8, allocatable: 8 },
    ]);
    expect(w.allocation).to.be.closeTo(730 * 10 * 0.75, 1e-6);
    expect(w.utilisation).to.be.closeTo(730 * 10 * 0.5, 1e-6);
    expect(w.unknownNodes).to.equal(1);
  });

  it('integrates spend and interruption overhead', () => {
    expect(accrued(3.6, 0, 3_600_000)).to.be.closeTo(3.6, 1e-12);
    expect(accrued(3.6, 10, 5)).to.equal(0);
    expect(interruptionOverheadMonthly([{ ratePerDay: 0.1, redoHours: 0.5, restartHours: 0.1, replacementPricePerHour: 24 }])).to.be.closeTo((0.1 * 0.6 * 24 * 730) / 24, 1e-9);
  });
});
