/** Label set of a metric series or a Kubernetes object. */
export type Labels = Readonly<Record<string, string>>;

/** Something that decides whether a label set is selected. */
export interface LabelMatcher {
  matches(labels: Labels): boolean;
}

/**
 * A parsed Kubernetes label selector (`labels.Parse` grammar). Implemented in
 * src/apiserver/selector.ts; the rest of the code only needs this view of it.
 */
export interface Selector extends LabelMatcher {
  /** True when it selects everything (`""`). */
  isEmpty(): boolean;
  /** True when some requirement names `key`. */
  mentions(key: string): boolean;
  /**
   * Keys that must have one of a few values (`=`, `==`, `in`), with those values. Every label
   * set it selects has such a key with one of them, so a lookup may start from an index there.
   * Optional: without it a lookup scans everything, which is only slower.
   */
  pinnedValues?(): ReadonlyMap<string, readonly string[]>;
  /** Canonical form, as Kubernetes' `labels.Selector.String()` prints it. */
  toString(): string;
}
