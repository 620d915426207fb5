import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config/index.js';
import { errorMessage } from '../util/errors.js';
import type { NodeScalerConfig } from './config.js';
import { emptyState } from './state.js';
import type { NodeInfo, PdbInfo, PodInfo, PoolObservation, PrewarmTarget, ScalerState, Snapshot } from './types.js';

/**
 * A snapshot written to a file (JSON): everything decide() reads except the config, which comes
 * from the node-scaler YAML. Timestamps are epoch milliseconds; `now` may also be RFC 3339.
 * Only the outline is checked here — the cluster-facing snapshot builder is the real producer.
 */
const named = z.looseObject({ name: z.string().min(1) });
const fileSchema = z.strictObject({
  now: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })]),
  pools: z.array(z.looseObject({ name: z.string().min(1), desired: z.number().int().nonnegative(), registered: z.number().int().nonnegative() })),
  nodes: z.array(named).default([]),
  pods: z.array(z.looseObject({ uid: z.string().min(1), name: z.string().min(1), namespace: z.string().min(1) })).default([]),
  pdbs: z.array(named).default([]),
  state: z.looseObject({}).optional(),
  prewarm: z.array(named.or(z.looseObject({ className: z.string() }))).optional(),
});

export function readSnapshotFile(file: string, config: NodeScalerConfig): Snapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file}: ${errorMessage(err)}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${file}: ${i.path.map(String).join('.') || '(top level)'}: ${i.message}`).join('\n'));
  }
  const s = parsed.data;
  return {
    now: typeof s.now === 'number' ? s.now : Date.parse(s.now),
    config,
    pools: s.pools as unknown as PoolObservation[],
    nodes: s.nodes as unknown as NodeInfo[],
    pods: s.pods as unknown as PodInfo[],
    pdbs: s.pdbs as unknown as PdbInfo[],
    state: (s.state as unknown as ScalerState | undefined) ?? emptyState(),
    ...(s.prewarm ? { prewarm: s.prewarm as unknown as PrewarmTarget[] } : {}),
  };
}
