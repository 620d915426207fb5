import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { DemandSample } from '../predictor.js';
import type { Millis } from '../types.js';

const BUCKET_MS = 5 * 60_000;
const DAY_MS = 24 * 3_600_000;

const fileSchema = z.strictObject({
  version: z.literal(1),
  classes: z.record(z.string(), z.array(z.strictObject({ at: z.number(), gpus: z.number().nonnegative() }))),
});

/**
 * GPU demand per GPU class for the predictor (§4.8): one sample per 5 minutes holding the
 * maximum seen in it, kept for the lookback. The predictor needs weeks of history, so the
 * samples can be kept in a file (a PersistentVolume in a cluster) and survive restarts.
 */
export class DemandHistory {
  private readonly classes = new Map<string, DemandSample[]>();

  constructor(
    private readonly lookbackDays: number,
    private readonly file?: string,
  ) {}

  /** Loads the file when one is configured and exists; a corrupt file is an error naming it. */
  load(): void {
    if (!this.file) return;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${this.file}: not a demand history file: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    for (const [name, samples] of Object.entries(parsed.data.classes)) this.classes.set(name, samples);
  }

  /** Writes atomically (temp file + rename) so a crash never leaves half a file. */
  save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, classes: Object.fromEntries(this.classes) }));
    renameSync(tmp, this.file);
  }

  record(className: string, at: Millis, gpus: number): void {
    let samples = this.classes.get(className);
    if (!samples) this.classes.set(className, (samples = []));
    const bucketStart = at - (at % BUCKET_MS);
    const last = samples[samples.length - 1];
    if (last && last.at >= bucketStart) last.gpus = Math.max(last.gpus, gpus);
    else samples.push({ at, gpus });
    const cutoff = at - this.lookbackDays * DAY_MS;
    while (samples.length > 0 && samples[0]!.at < cutoff) samples.shift();
  }

  samples(className: string): readonly DemandSample[] {
    return this.classes.get(className) ?? [];
  }
}
