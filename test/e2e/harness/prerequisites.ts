/** What an e2e suite does when the control-plane binaries are missing: a loud skip, or a failure under CI=true. */
import type { Context } from 'mocha';
import { kubeBinaries, missingBinaries } from './binaries.js';

/**
 * Call from a suite's `before(function () { … })`. Returns normally when the binaries are there;
 * otherwise skips the suite with a loud line, or throws under CI=true (a missing prerequisite in CI
 * is a failure, never a skip).
 */
export function requireBinariesOrSkip(ctx: Context): void {
  const bins = kubeBinaries();
  const missing = missingBinaries(bins);
  if (missing.length === 0) return;
  const why = `control-plane binaries ${bins.version} missing in ${bins.dir} (scripts/build-kube.sh builds them; it needs Go >= 1.26)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}`);
  const bar = '!'.repeat(100);
  console.log(`${bar}\n!!! SKIPPING end-to-end tests: ${why}\n${bar}`);
  ctx.skip();
}
