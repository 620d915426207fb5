import type { z } from 'zod';

/** One validation problem, with the dotted path of the field it is about. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly FieldError[] };

/** Runs `schema` on `raw`; problems come back with the field each one names (`scale_up_policy.max_scale_change`). */
export function parseWith<T>(schema: z.ZodType<T>, raw: unknown, prefix = ''): Parsed<T> {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, errors: r.error.issues.flatMap((i) => fieldErrors(i, prefix)) };
}

function fieldErrors(issue: z.core.$ZodIssue, prefix: string): FieldError[] {
  const base = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ field: base === '' ? k : `${base}.${k}`, message: 'unknown field' }));
  }
  return [{ field: base === '' ? '(request body)' : base, message: issue.message }];
}

/** `field: message; field: message`, for logs, status conditions and the REST `error` string. */
export function describeErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}
