/**
 * A prometheus-adapter feature this implementation cannot honour. Thrown while a rule is
 * compiled, so start-up can report it by rule (and `strict` can make it fatal).
 */
export class UnsupportedFeature extends Error {
  constructor(
    /** Short name of the feature, e.g. `lookaround in regex`, `template function "slice"`. */
    readonly feature: string,
    detail: string,
  ) {
    super(`${feature}: ${detail}`);
    this.name = 'UnsupportedFeature';
  }
}
