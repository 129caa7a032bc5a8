/**
 * Parameterised CRCs in the Rocksoft/Williams model (width, poly, init, refin, refout, xorout), as
 * the CRC RevEng catalogue writes them. The arithmetic is js-crc's table-driven `createModel`
 * (npm `js-crc`, MIT, no dependencies: the full model with refin and refout apart, widths past 32,
 * tested by its author against the catalogue's check values); this file adds the catalogue look-up
 * by name and alias, and turns its hex output into a bigint so 64-bit CRCs compare exactly.
 */
import jsCrc from 'js-crc';
import { CRC_CATALOGUE } from './crc-catalogue.js';

export interface CrcParams {
  /** Register width in bits, 1-64. */
  width: number;
  /** Generator polynomial, normal (MSB-first) notation, without the top x^width term. */
  poly: bigint;
  init: bigint;
  /** Read each input byte least significant bit first. */
  refin: boolean;
  /** Reflect the whole register before xorout. */
  refout: boolean;
  xorout: bigint;
}

export type CrcFn = (buf: Uint8Array) => bigint;

export interface CatalogueCrc {
  /** The catalogue's primary name (aliases resolve to it). */
  name: string;
  params: CrcParams;
  /** Published CRC of the ASCII bytes "123456789". */
  check: bigint;
}

/** js-crc takes widths past 32 bits as big-endian lists of 32-bit words. */
const words = (v: bigint, width: number): number | number[] =>
  width <= 32 ? Number(v) : [Number(v >> 32n), Number(v & 0xffffffffn)];

export function makeCrc(p: CrcParams): CrcFn {
  const model = jsCrc.createModel({
    width: p.width,
    poly: words(p.poly, p.width),
    init: words(p.init, p.width),
    refin: p.refin,
    refout: p.refout,
    xorout: words(p.xorout, p.width),
  });
  return (buf) => BigInt(`0x${model.hex(buf)}`);
}

/** The decoders' original algorithm names, kept working, and what they always meant. */
const LEGACY: Record<string, string> = {
  'crc16-ccitt': 'CRC-16/IBM-3740', // a.k.a. CRC-16/CCITT-FALSE
  'crc16-modbus': 'CRC-16/MODBUS',
};

const BY_NAME = new Map<string, CatalogueCrc>();
for (const [name, width, poly, init, refin, refout, xorout, check, aliases] of CRC_CATALOGUE) {
  const entry: CatalogueCrc = {
    name,
    params: { width, poly: BigInt(poly), init: BigInt(init), refin, refout, xorout: BigInt(xorout) },
    check: BigInt(check),
  };
  for (const n of [name, ...(aliases ?? [])]) BY_NAME.set(n.toUpperCase(), entry);
}
for (const [legacy, name] of Object.entries(LEGACY)) BY_NAME.set(legacy.toUpperCase(), BY_NAME.get(name)!);

/** A catalogue CRC by name or alias, case-insensitive (`CRC-16/XMODEM`, `crc-32c`, `MODBUS`). */
export function catalogueCrc(name: string): CatalogueCrc | undefined {
  return BY_NAME.get(name.toUpperCase());
}

/** `CRC(width=16 poly=0x1021 …)`: how a parameter set is named in messages. */
export function describeCrc(p: CrcParams): string {
  const hex = (v: bigint): string => `0x${v.toString(16).padStart(Math.ceil(p.width / 4), '0')}`;
  return `CRC(width=${p.width} poly=${hex(p.poly)} init=${hex(p.init)} refin=${p.refin} refout=${p.refout} xorout=${hex(p.xorout)})`;
}
