/**
 * Trigger metadata → TriggerSpec, remembered: KEDA sends the same map on every call of a
 * trigger (three per poll, more on the HPA path), and the answer depends on nothing else.
 * Failures are remembered too. Bounded; the least recently used entry goes first.
 */
import type { Catalog } from '../store/index.js';
import type { ScaledObjectRef } from './contract.js';
import { parseTriggerMetadata, TriggerMetadataError, type TriggerSpec } from './trigger-metadata.js';

const MAX_ENTRIES = 2048;

type Entry = { readonly ok: true; readonly spec: TriggerSpec } | { readonly ok: false; readonly error: TriggerMetadataError };

export class TriggerParser {
  private readonly cache = new Map<string, Entry>();

  constructor(private readonly catalog: Catalog) {}

  /** Throws TriggerMetadataError. */
  parse(ref: ScaledObjectRef | null | undefined): TriggerSpec {
    if (!ref) throw new TriggerMetadataError('scaledObjectRef: is required');
    const metadata = ref.scalerMetadata ?? {};
    const key = cacheKey(ref.namespace, metadata);
    let entry = this.cache.get(key);
    if (entry) {
      this.cache.delete(key);
    } else {
      entry = this.compute(metadata, ref.namespace);
      if (this.cache.size >= MAX_ENTRIES) {
        const oldest = this.cache.keys().next();
        if (!oldest.done) this.cache.delete(oldest.value);
      }
    }
    this.cache.set(key, entry);
    if (!entry.ok) throw entry.error;
    return entry.spec;
  }

  private compute(metadata: Readonly<Record<string, string>>, namespace: string): Entry {
    try {
      return { ok: true, spec: parseTriggerMetadata(metadata, namespace, this.catalog) };
    } catch (err) {
      if (err instanceof TriggerMetadataError) return { ok: false, error: err };
      throw err;
    }
  }
}

function cacheKey(namespace: string, metadata: Readonly<Record<string, string>>): string {
  const entries = Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([namespace, entries]);
}
