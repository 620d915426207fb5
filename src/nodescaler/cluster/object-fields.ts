import { parseQuantity } from '../../apiserver/quantity.js';

/**
 * Field readers shared by the pod and node converters. Objects reach the converters two ways:
 * from a list call (client-node deserialises timestamps into Date) and from a watch event
 * (plain JSON.parse, so timestamps stay RFC 3339 strings). Both must read the same.
 */

/** Epoch ms of a Kubernetes timestamp, Date or string; undefined when absent or unparsable. */
export function toMillis(t: Date | string | undefined | null): number | undefined {
  if (t === undefined || t === null) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

const PLAIN_INTEGER = /^[0-9]{1,15}$/;

/**
 * A resource Quantity as a number (`"8"`, `"1k"`, `"500m"`); undefined when absent or malformed,
 * so a broken value is never mistaken for 0.
 */
export function quantity(q: string | number | undefined | null): number | undefined {
  if (q === undefined || q === null) return undefined;
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  // Extended resources are whole counts ("8"): skip the exact decimal parser for them.
  if (PLAIN_INTEGER.test(q)) return Number(q);
  try {
    return parseQuantity(q);
  } catch {
    return undefined;
  }
}

/** A copy of a string map (labels, annotations), `{}` when absent. */
export function stringMap(m: Readonly<Record<string, string>> | undefined | null): Record<string, string> {
  return m ? { ...m } : {};
}
