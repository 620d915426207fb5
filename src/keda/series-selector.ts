import type { Labels, Selector } from '../util/labels.js';

/**
 * A label selector plus exact label values, ANDed. Trigger metadata names a queue by plain
 * strings (`queueName: "{stt}"`, `prefix: "{bull}"`) that the selector grammar cannot always
 * spell, so they are matched as they are instead of being rendered into selector text.
 */
export class SeriesSelector implements Selector {
  private readonly equals: readonly (readonly [string, string])[];

  constructor(
    private readonly selectors: readonly Selector[],
    equals: Readonly<Record<string, string>>,
  ) {
    this.equals = Object.entries(equals).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  matches(labels: Labels): boolean {
    for (const [k, v] of this.equals) if (!Object.hasOwn(labels, k) || labels[k] !== v) return false;
    return this.selectors.every((s) => s.matches(labels));
  }

  isEmpty(): boolean {
    return this.equals.length === 0 && this.selectors.every((s) => s.isEmpty());
  }

  mentions(key: string): boolean {
    return this.equals.some(([k]) => k === key) || this.selectors.some((s) => s.mentions(key));
  }

  pinnedValues(): ReadonlyMap<string, readonly string[]> {
    const pinned = new Map<string, readonly string[]>();
    for (const s of this.selectors) for (const [k, values] of s.pinnedValues?.() ?? []) pinned.set(k, values);
    for (const [k, v] of this.equals) pinned.set(k, [v]);
    return pinned;
  }

  /** Selector-like text for messages and grouping keys (values are JSON-quoted). */
  toString(): string {
    const parts = this.selectors.map((s) => s.toString()).filter((s) => s !== '');
    for (const [k, v] of this.equals) parts.push(`${k}=${JSON.stringify(v)}`);
    return parts.join(',');
  }
}
