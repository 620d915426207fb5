/**
 * Kubernetes `resource.Quantity` text, as clients parse it (k8s.io/apimachinery
 * pkg/api/resource/quantity.go). formatQuantity emits the canonical DecimalSI form Go
 * prints, so our JSON is byte-identical to a Go adapter's for the same decimal value.
 */

/** An exact decimal `mantissa × 10^exponent`. */
interface Decimal {
  readonly mantissa: bigint;
  readonly exponent: number;
}

const DECIMAL_SUFFIXES: ReadonlyMap<number, string> = new Map([
  [-9, 'n'],
  [-6, 'u'],
  [-3, 'm'],
  [0, ''],
  [3, 'k'],
  [6, 'M'],
  [9, 'G'],
  [12, 'T'],
  [15, 'P'],
  [18, 'E'],
]);

const BINARY_SUFFIXES: ReadonlyMap<string, bigint> = new Map([
  ['Ki', 2n ** 10n],
  ['Mi', 2n ** 20n],
  ['Gi', 2n ** 30n],
  ['Ti', 2n ** 40n],
  ['Pi', 2n ** 50n],
  ['Ei', 2n ** 60n],
]);

/** Go keeps at most nine fractional digits. */
const NANO_EXPONENT = -9;
/** A double has 15 significant decimal digits that always survive a round trip. */
const SIGNIFICANT_DIGITS = 15;
/** Longer input is not a quantity anyone writes; refusing it bounds BigInt work. */
const MAX_QUANTITY_LENGTH = 256;

/**
 * Canonical DecimalSI string: `0`, `12`, `1500m`, `2k`, `500u`, `-250m`, `1e21`.
 *
 * The double is first read as a decimal of at most 15 significant digits (safe integers
 * exactly). That is the precision a double really carries, so float noise such as
 * 0.1+0.2 = 0.30000000000000004 disappears ("300m"), while values below one milli
 * keep their meaning (0.0005 → "500u"; Go rounds below nano up, away from zero).
 */
export function formatQuantity(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`a quantity must be a finite number, got ${value}`);
  return formatDecimal(decimalOf(value));
}

function decimalOf(value: number): Decimal {
  if (Number.isSafeInteger(value)) return { mantissa: BigInt(value), exponent: 0 };
  const [digits = '0', exp = '0'] = value.toExponential(SIGNIFICANT_DIGITS - 1).split('e');
  return { mantissa: BigInt(digits.replace('.', '')), exponent: Number(exp) - (SIGNIFICANT_DIGITS - 1) };
}

/** Go's Quantity.String() for DecimalSI: strip zeros, exponent down to a multiple of 3, suffix. */
function formatDecimal(d: Decimal): string {
  let { mantissa: m, exponent: e } = roundUpToNano(d);
  if (m === 0n) return '0';
  const sign = m < 0n ? '-' : '';
  if (m < 0n) m = -m;
  while (m % 10n === 0n) {
    m /= 10n;
    e += 1;
  }
  const rem = ((e % 3) + 3) % 3;
  if (rem === 1) [m, e] = [m * 10n, e - 1];
  if (rem === 2) [m, e] = [m * 100n, e - 2];
  const suffix = DECIMAL_SUFFIXES.get(e) ?? `e${e}`;
  return `${sign}${m}${suffix}`;
}

/** Below nano, round the magnitude up (away from zero), as Go does when parsing. */
function roundUpToNano(d: Decimal): Decimal {
  if (d.exponent >= NANO_EXPONENT || d.mantissa === 0n) return d;
  const negative = d.mantissa < 0n;
  const magnitude = negative ? -d.mantissa : d.mantissa;
  const drop = NANO_EXPONENT - d.exponent;
  // More dropped digits than the mantissa has: the result is one nano, no big power needed.
  const rounded = drop > magnitude.toString().length ? 1n : ceilDiv(magnitude, 10n ** BigInt(drop));
  return { mantissa: negative ? -rounded : rounded, exponent: NANO_EXPONENT };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

const QUANTITY_RE = /^([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(.*)$/;
const EXPONENT_RE = /^[eE]([+-]?[0-9]+)$/;

/**
 * Parses any quantity a Kubernetes client accepts: sign, `1`, `1.5`, `.5`, `5.`, decimal
 * suffixes (n u m k M G T P E), binary suffixes (Ki … Ei) and exponents (`1e3`, `2E-3`).
 * Sub-nano precision rounds up away from zero, as in Go. Throws on anything else.
 */
export function parseQuantity(text: string): number {
  const d = parseDecimal(text);
  const value = Number(`${d.mantissa}e${d.exponent}`);
  if (!Number.isFinite(value)) throw new RangeError(`quantity ${JSON.stringify(text)} is out of range`);
  return value;
}

function parseDecimal(text: string): Decimal {
  const match = text.length <= MAX_QUANTITY_LENGTH ? QUANTITY_RE.exec(text) : null;
  if (!match) throw invalid(text);
  const [, sign = '', number = '', suffix = ''] = match;
  const [whole = '', fraction = ''] = number.split('.');
  let mantissa = BigInt(`${whole}${fraction}` || '0');
  if (sign === '-') mantissa = -mantissa;
  let exponent = -fraction.length;
  const binary = BINARY_SUFFIXES.get(suffix);
  if (binary !== undefined) mantissa *= binary;
  else exponent += suffixExponent(suffix, text);
  return roundUpToNano({ mantissa, exponent });
}

function suffixExponent(suffix: string, text: string): number {
  for (const [exp, s] of DECIMAL_SUFFIXES) if (s === suffix) return exp;
  const exp = EXPONENT_RE.exec(suffix)?.[1];
  if (exp === undefined) throw invalid(text);
  return Number(exp);
}

function invalid(text: string): Error {
  return new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${JSON.stringify(text)}`);
}
