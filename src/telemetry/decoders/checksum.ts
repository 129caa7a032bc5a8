/**
 * Telegram checksums, chosen by the decoder spec's `checksum`:
 * - `algorithm: <name>` — any CRC of the RevEng catalogue by name or alias (`CRC-16/XMODEM`,
 *   `CRC-32C`, …, crc-catalogue.ts), the older names `crc16-ccitt` (= CRC-16/IBM-3740, a.k.a.
 *   CCITT-FALSE: poly 0x1021, init 0xFFFF, check 29B1) and `crc16-modbus` (= CRC-16/MODBUS, check
 *   4B37), or `xor8` (XOR of all bytes) / `sum8` (sum of all bytes modulo 256);
 * - `crc: { width, poly, init, refin, refout, xorout, check? }` — any other CRC in the
 *   Rocksoft/Williams model; `check`, when given, is verified against the CRC of "123456789" when
 *   the decoder is uploaded, so a mistyped parameter is refused there and not on every telegram.
 */
import { catalogueCrc, describeCrc, makeCrc, type CrcParams } from './crc.js';
import { fail, obj, str, type Obj } from './spec.js';

export interface Checksum {
  /** How messages name it: the algorithm as written, or the CRC parameters. */
  readonly label: string;
  /** Digits of the value when written as hex (leading zeros are optional in telegrams). */
  readonly hexDigits: number;
  compute(buf: Uint8Array): bigint;
}

export function xor8(buf: Uint8Array): number {
  let x = 0;
  for (const b of buf) x ^= b;
  return x;
}

export function sum8(buf: Uint8Array): number {
  let s = 0;
  for (const b of buf) s = (s + b) & 0xff;
  return s;
}

const crcOf = (name: string): ((buf: Uint8Array) => number) => {
  const crc = makeCrc(catalogueCrc(name)!.params);
  return (buf) => Number(crc(buf));
};
/** CRC-16/IBM-3740 (CCITT-FALSE), the decoders' `crc16-ccitt`; kept for tests and the simulator's peers. */
export const crc16Ccitt = crcOf('CRC-16/IBM-3740');
export const crc16Modbus = crcOf('CRC-16/MODBUS');

const BYTE_SUMS: Record<string, (buf: Uint8Array) => number> = { xor8, sum8 };

const CHECK_INPUT = Buffer.from('123456789', 'ascii');

/** A CRC parameter: a safe integer, or a hex (`0x…`) / decimal string for values past 2^53. */
function crcValue(v: unknown, field: string, width: number): bigint {
  let n: bigint | undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = BigInt(v);
  else if (typeof v === 'string' && /^(0[xX][0-9a-fA-F]{1,16}|\d{1,20})$/.test(v)) n = BigInt(v);
  if (n === undefined) return fail(field, 'must be a non-negative integer or a hex string such as "0x1021"');
  if (n >> BigInt(width) !== 0n) fail(field, `does not fit in ${width} bits`);
  return n;
}

function crcParams(o: Obj, at: string): { params: CrcParams; check: bigint | undefined } {
  const known = ['width', 'poly', 'init', 'refin', 'refout', 'xorout', 'check'];
  for (const k of Object.keys(o))
    if (!known.includes(k)) fail(`${at}.${k}`, `is not a CRC parameter (${known.join(', ')})`);
  const width = o.width;
  if (!Number.isInteger(width) || (width as number) < 1 || (width as number) > 64)
    fail(`${at}.width`, 'must be an integer from 1 to 64');
  const w = width as number;
  const bool = (k: 'refin' | 'refout'): boolean =>
    typeof o[k] === 'boolean' ? o[k] : fail(`${at}.${k}`, 'must be true or false');
  const params: CrcParams = {
    width: w,
    poly: crcValue(o.poly, `${at}.poly`, w),
    init: crcValue(o.init ?? 0, `${at}.init`, w),
    refin: bool('refin'),
    refout: bool('refout'),
    xorout: crcValue(o.xorout ?? 0, `${at}.xorout`, w),
  };
  if (params.poly % 2n === 0n) fail(`${at}.poly`, 'must be odd (the x^0 term is always present)');
  return { params, check: o.check === undefined ? undefined : crcValue(o.check, `${at}.check`, w) };
}

/** `spec.checksum` (without covers/encoding) → a checksum, or DECODER_INVALID naming the field. */
export function compileChecksum(c: Obj, at: string): Checksum {
  if ((c.algorithm === undefined) === (c.crc === undefined))
    fail(at, 'needs exactly one of algorithm (a name) or crc (CRC parameters)');
  if (c.crc !== undefined) {
    const { params, check } = crcParams(obj(c.crc, `${at}.crc`), `${at}.crc`);
    const crc = makeCrc(params);
    if (check !== undefined && crc(CHECK_INPUT) !== check)
      fail(
        `${at}.crc.check`,
        `these parameters give 0x${crc(CHECK_INPUT).toString(16)} for "123456789", not 0x${check.toString(16)}`,
      );
    return { label: describeCrc(params), hexDigits: Math.ceil(params.width / 4), compute: crc };
  }
  const name = str(c.algorithm, `${at}.algorithm`);
  const sum = Object.hasOwn(BYTE_SUMS, name) ? BYTE_SUMS[name] : undefined;
  if (sum) return { label: name, hexDigits: 2, compute: (buf) => BigInt(sum(buf)) };
  const entry = catalogueCrc(name);
  if (!entry)
    return fail(
      `${at}.algorithm`,
      'must be a CRC catalogue name such as CRC-16/XMODEM, CRC-16/MODBUS, CRC-16/IBM-3740, CRC-32/ISO-HDLC or CRC-32C ' +
        '(see docs/telemetry.md), crc16-ccitt, crc16-modbus, xor8 or sum8; or give crc: { width, poly, … } instead',
    );
  const label = entry.name.toUpperCase() === name.toUpperCase() ? entry.name : `${name} (${entry.name})`;
  return { label, hexDigits: Math.ceil(entry.params.width / 4), compute: makeCrc(entry.params) };
}
