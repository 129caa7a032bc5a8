/**
 * Exact decimal fractions for alert decisions. Targets, budget shares and burn rates are written
 * as decimals (0.999, 0.02, 14.4) that binary floating point cannot hold, so `bad / total / (1 −
 * 0.999) > 14.4` may tip either way at the boundary. Counts are integers (except time-weighted
 * availability), so the comparison is done on integers: a decision never depends on rounding.
 */

export interface Fraction {
  num: bigint;
  den: bigint;
}

/** The decimal the number prints as (its shortest round-trip form), as an exact fraction. */
export function decimalFraction(x: number): Fraction {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!m) throw new RangeError(`not a decimal: ${x}`);
  const digits = (m[2] ?? '') + (m[3] ?? '');
  const exp = -(m[3]?.length ?? 0) + Number(m[4] ?? 0);
  let num = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
  let den = 1n;
  if (exp >= 0) num *= 10n ** BigInt(exp);
  else den = 10n ** BigInt(-exp);
  const g = gcd(num < 0n ? -num : num, den);
  return { num: num / g, den: den / g };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

const allowedCache = new Map<number, Fraction>();

/** The allowed error ratio 1 − target, exactly (memoized: a handful of targets, asked every minute). */
export function allowedError(target: number): Fraction {
  let f = allowedCache.get(target);
  if (!f) {
    const t = decimalFraction(target);
    f = { num: t.den - t.num, den: t.den };
    if (allowedCache.size > 10_000) allowedCache.clear();
    allowedCache.set(target, f);
  }
  return f;
}

/** (bad / total) / allowed, as a float computed from the exact fraction (1000, not 999.9999999999991). */
export function burnOf(bad: number, total: number, allowed: Fraction): number {
  if (total <= 0) return 0;
  return (bad * Number(allowed.den)) / (total * Number(allowed.num));
}

/**
 * Whether (bad / total) / allowed > threshold, where threshold = scale.num / scale.den (exactly,
 * for integer counts; in floating point for time-weighted counts).
 */
export function burnExceeds(
  bad: number,
  total: number,
  allowed: Fraction,
  threshold: Fraction,
  orEqual = false,
): boolean {
  if (total <= 0) return false;
  if (Number.isInteger(bad) && Number.isInteger(total)) {
    const a = BigInt(bad) * allowed.den * threshold.den;
    const b = BigInt(total) * allowed.num * threshold.num;
    return orEqual ? a >= b : a > b;
  }
  const burn = burnOf(bad, total, allowed);
  const t = Number(threshold.num) / Number(threshold.den);
  return orEqual ? burn >= t : burn > t;
}

export function mul(a: Fraction, b: Fraction): Fraction {
  const num = a.num * b.num;
  const den = a.den * b.den;
  const g = gcd(num < 0n ? -num : num, den);
  return { num: num / g, den: den / g };
}
