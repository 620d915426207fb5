import { re2 } from './regex.js';

/**
 * `name: {matches, as}`: the API name of a series (pkg/naming/metric_namer.go).
 * `matches` defaults to `.*`; `as` to `$0` without capture groups and `$1` with one;
 * more groups without `as` is a config error. Expansion follows Go's Regexp.ExpandString.
 */
export class NameMapper {
  private readonly re: RegExp;
  private readonly as: string;

  constructor(matches: string | undefined, as: string | undefined) {
    const pattern = matches === undefined || matches === '' ? '.*' : matches;
    this.re = re2(pattern);
    const groups = captureGroups(this.re);
    if (as === undefined || as === '') {
      if (groups > 1) throw new Error(`name.matches "${pattern}" has ${groups} capture groups: set name.as`);
      this.as = groups === 1 ? '$1' : '$0';
    } else {
      this.as = as;
    }
  }

  /** The implicit series filter: does the series name match at all (unanchored)? */
  matches(series: string): boolean {
    return this.re.test(series);
  }

  /** API name for `series`, or undefined when `matches` does not match it. */
  apiName(series: string): string | undefined {
    const m = this.re.exec(series);
    return m ? expand(this.as, m) : undefined;
  }
}

function captureGroups(re: RegExp): number {
  return (new RegExp(`${re.source}|`, re.flags).exec('')?.length ?? 1) - 1;
}

/** Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown or unmatched groups expand to "". */
export function expand(template: string, m: RegExpExecArray): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    const rest = template.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i = dollar + 2;
      continue;
    }
    const ref = /^\{([A-Za-z0-9_]+)\}/.exec(rest) ?? /^([A-Za-z0-9_]+)/.exec(rest);
    if (!ref?.[1]) {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const name = ref[1];
    out += /^\d+$/.test(name) ? (m[Number(name)] ?? '') : (m.groups?.[name] ?? '');
    i = dollar + 1 + ref[0].length;
  }
  return out;
}
