/**
 * Label objects shared by identical label text across the polls of one source.
 *
 * An exporter repeats the same `{…}` label text for every family of a GPU and on every
 * scrape. Parsing that text once and handing out the same object afterwards skips the label
 * parser, and lets a consumer recognise "the same series as last poll" by identity and keep
 * what it derived from it. Without this a 10 000-GPU poll rebuilt ~30 000 label objects and
 * ~300 000 strings, all of which outlived a few scavenges and were promoted, only to die at
 * the next poll: old-space growth and GC pauses that showed up in the API's p99.
 *
 * Strings stored here are flat copies, never slices of a response body, so the cache does
 * not keep a body alive. A label set not seen during one whole poll is forgotten.
 */
export type LabelObject = Record<string, string>;

interface Entry {
  readonly labels: LabelObject;
  /** The last poll that used it. */
  seen: number;
}

export class LabelSets {
  private readonly sets = new Map<string, Entry>();
  /** Shares repeated values (model name, namespace…) between the label sets added since the last eviction. */
  private values = new Map<string, string>();
  private poll = 0;

  /** Starts a poll: forgets the label sets the previous poll did not use. */
  nextPoll(): void {
    let evicted = false;
    for (const [text, e] of this.sets) {
      if (e.seen < this.poll) {
        this.sets.delete(text);
        evicted = true;
      }
    }
    // Values of evicted sets may be unused now; start sharing afresh rather than keep them forever.
    if (evicted) this.values = new Map();
    this.poll++;
  }

  get size(): number {
    return this.sets.size;
  }

  /** The shared object for this label text, if it was added before. */
  get(text: string): LabelObject | undefined {
    const e = this.sets.get(text);
    if (e === undefined) return undefined;
    e.seen = this.poll;
    return e.labels;
  }

  /** Remembers `labels`, parsed from `text`; returns the copy to use from now on. */
  add(text: string, labels: LabelObject): LabelObject {
    const copy = new SharedLabels() as unknown as LabelObject;
    for (const key in labels) copy[flat(key)] = this.value(labels[key] ?? '');
    this.sets.set(flat(text), { labels: copy, seen: this.poll });
    return copy;
  }

  private value(s: string): string {
    let kept = this.values.get(s);
    if (kept === undefined) {
      kept = flat(s);
      this.values.set(kept, kept);
    }
    return kept;
  }
}

/**
 * A label object without inherited keys (like Object.create(null), so a label called
 * `toString` or `__proto__` is an ordinary key) that V8 keeps in fast mode: objects from
 * Object.create(null) are hash tables, ~600 bytes for a GPU's 8 labels, 6 MB per 10 000 GPUs.
 */
class SharedLabels {}
// No Object.prototype behind it, and no `constructor` key either.
Object.setPrototypeOf(SharedLabels.prototype, null);
Reflect.deleteProperty(SharedLabels.prototype, 'constructor');

/** A copy that shares no memory with the string it came from (a slice would pin the whole body). */
function flat(s: string): string {
  return Buffer.from(s).toString();
}
