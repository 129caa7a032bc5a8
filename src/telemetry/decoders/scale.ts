/**
 * `value × scale + offset`, exact in decimal. Binary floating point turns 53870 × 0.001 into
 * 53.870000000000005; devices and users think in decimal, so the stored value is the double nearest
 * to the exact decimal result, whose decimal places are those of the reading plus those of the
 * scale, or those of the offset when it has more (53870 × 0.001 → 3 places → 53.87; 3.25 × 0.1 →
 * 0.325, because rounding to the scale's single place would throw away the reading's precision).
 *
 * How: every number is read in its shortest decimal form (`String(x)`, what a user wrote) as
 * digits × 10^-places; the digits are multiplied and added as integers, and the one division by
 * 10^places at the end is correctly rounded by IEEE 754 because both operands are exact doubles.
 * When an integer would pass 2^53 (or the places pass 22, where 10^places is no longer exact), the
 * same sum is done with BigInt and parsed from its decimal text, which is also correctly rounded.
 */

/** A finite number as `int × 10^-dec`, from its shortest round-trip text. */
interface Fixed {
  int: bigint;
  dec: number;
}

function fixed(x: number): Fixed {
  const s = String(x);
  const e = s.indexOf('e');
  const mant = e < 0 ? s : s.slice(0, e);
  const exp = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const int = BigInt(dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1));
  const dec = (dot < 0 ? 0 : mant.length - dot - 1) - exp;
  return dec >= 0 ? { int, dec } : { int: int * 10n ** BigInt(-dec), dec: 0 };
}

/** Decimal places of a number as `String()` prints it (0 for integers and non-finite numbers). */
export function decimalsOf(x: number): number {
  return Number.isFinite(x) && !Number.isInteger(x) ? fixed(x).dec : 0;
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact doubles up to 10^22

function exact(raw: number, s: Fixed, o: Fixed): number {
  const r = fixed(raw);
  const dec = Math.max(r.dec + s.dec, o.dec);
  const sum = r.int * s.int * 10n ** BigInt(dec - r.dec - s.dec) + o.int * 10n ** BigInt(dec - o.dec);
  return Number(`${sum}e-${dec}`);
}

/** Compile `(raw) => raw × scale + offset`, exact to the decimals described above. */
export function compileScale(scale: number, offset: number): (raw: number) => number {
  if (scale === 1 && offset === 0) return (raw) => raw;
  const s = fixed(scale);
  const o = fixed(offset);
  const dec = Math.max(s.dec, o.dec);
  // Fast path for integer readings (int, hex, bcd, bool fields): all-integer double arithmetic.
  const sInt = Number(s.int);
  const oTerm = Number(o.int) * (POW10[dec - o.dec] ?? NaN);
  const sPow = POW10[dec - s.dec] ?? NaN;
  const div = POW10[dec] ?? NaN;
  const fast =
    Number.isSafeInteger(sInt) && Number.isSafeInteger(oTerm) && Number.isSafeInteger(sPow) && dec <= 22;
  return (raw) => {
    if (!Number.isFinite(raw)) return raw * scale + offset;
    if (fast && Number.isInteger(raw)) {
      const t = raw * sInt * sPow;
      const sum = t + oTerm;
      if (Number.isSafeInteger(t) && Number.isSafeInteger(sum)) return sum / div;
    }
    return exact(raw, s, o);
  };
}
