/**
 * CRCs: every catalogue entry against its published check value (CRC of "123456789"), names and
 * aliases, and random inputs and random parameters against a bit-by-bit reference written straight
 * from the Rocksoft/Williams model definition.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CRC_CATALOGUE } from './crc-catalogue.js';
import { catalogueCrc, makeCrc, type CrcParams } from './crc.js';

const CHECK_INPUT = Buffer.from('123456789', 'ascii');

/** One message bit at a time into the top of the register, as the model defines it. */
function bitwise(p: CrcParams, buf: Uint8Array): bigint {
  const w = BigInt(p.width);
  const top = 1n << (w - 1n);
  const mask = (1n << w) - 1n;
  const reflect = (v: bigint, bits: bigint): bigint => {
    let r = 0n;
    for (let i = 0n; i < bits; i++) if ((v >> i) & 1n) r |= 1n << (bits - 1n - i);
    return r;
  };
  let reg = p.init;
  for (const byte of buf) {
    const b = p.refin ? reflect(BigInt(byte), 8n) : BigInt(byte);
    for (let i = 7n; i >= 0n; i--) {
      const feedback = ((reg & top) !== 0n) !== (((b >> i) & 1n) === 1n);
      reg = (reg << 1n) & mask;
      if (feedback) reg ^= p.poly;
    }
  }
  if (p.refout) reg = reflect(reg, w);
  return reg ^ p.xorout;
}

describe('the catalogue', () => {
  test('has the entries devices use, widths 8-64 among them', () => {
    const names = new Set(CRC_CATALOGUE.map((r) => r[0]));
    for (const n of ['CRC-8/SMBUS', 'CRC-16/XMODEM', 'CRC-16/MODBUS', 'CRC-32/ISO-HDLC', 'CRC-64/XZ'])
      assert.ok(names.has(n), n);
    assert.ok(CRC_CATALOGUE.length >= 100, `${CRC_CATALOGUE.length} entries`);
  });

  for (const [name, , , , , , , check] of CRC_CATALOGUE)
    test(`${name}: check value ${check}`, () => {
      const c = catalogueCrc(name);
      assert.ok(c);
      assert.equal(c.check, BigInt(check));
      assert.equal(bitwise(c.params, CHECK_INPUT), c.check, 'bit-by-bit reference');
      assert.equal(makeCrc(c.params)(CHECK_INPUT), c.check, 'table-driven engine');
    });
});

describe('names and aliases', () => {
  const cases: [string, string, bigint][] = [
    // as written, canonical name, check
    ['CRC-16/XMODEM', 'CRC-16/XMODEM', 0x31c3n],
    ['XMODEM', 'CRC-16/XMODEM', 0x31c3n],
    ['CRC-16/MODBUS', 'CRC-16/MODBUS', 0x4b37n],
    ['CRC-16/CCITT-FALSE', 'CRC-16/IBM-3740', 0x29b1n],
    ['CRC-16/IBM-3740', 'CRC-16/IBM-3740', 0x29b1n],
    ['CRC-16/AUTOSAR', 'CRC-16/IBM-3740', 0x29b1n],
    ['CRC-16/KERMIT', 'CRC-16/KERMIT', 0x2189n],
    ['CRC-16/CCITT', 'CRC-16/KERMIT', 0x2189n], // RevEng's alias, not CCITT-FALSE
    ['CRC-16/X-25', 'CRC-16/IBM-SDLC', 0x906en],
    ['CRC-32/ISO-HDLC', 'CRC-32/ISO-HDLC', 0xcbf43926n],
    ['CRC-32', 'CRC-32/ISO-HDLC', 0xcbf43926n],
    ['crc-32c', 'CRC-32/ISCSI', 0xe3069283n],
    ['CRC-8/SMBUS', 'CRC-8/SMBUS', 0xf4n],
    ['CRC-8', 'CRC-8/SMBUS', 0xf4n],
    ['CRC-8/MAXIM-DOW', 'CRC-8/MAXIM-DOW', 0xa1n],
    ['CRC-24/OPENPGP', 'CRC-24/OPENPGP', 0x21cf02n],
    ['CRC-64/XZ', 'CRC-64/XZ', 0x995dc9bbdf1939fan],
    ['crc16-ccitt', 'CRC-16/IBM-3740', 0x29b1n], // the decoders' older names
    ['crc16-modbus', 'CRC-16/MODBUS', 0x4b37n],
  ];
  for (const [written, name, check] of cases)
    test(`${written} → ${name}`, () => {
      const c = catalogueCrc(written);
      assert.equal(c?.name, name);
      assert.equal(makeCrc(c.params)(CHECK_INPUT), check);
    });

  test('unknown names are undefined', () => {
    for (const n of ['CRC-16/NOPE', 'crc16', 'crc_16_xmodem', '', 'toString', '__proto__'])
      assert.equal(catalogueCrc(n), undefined, n);
  });
});

describe('random inputs against the bit-by-bit reference', () => {
  const data = fc.uint8Array({ maxLength: 64 });

  test('every catalogue entry', () => {
    for (const [name] of CRC_CATALOGUE) {
      const { params } = catalogueCrc(name)!;
      const crc = makeCrc(params);
      fc.assert(
        fc.property(data, (buf) => crc(buf) === bitwise(params, buf)),
        { numRuns: 25 },
      );
    }
  });

  const params: fc.Arbitrary<CrcParams> = fc.integer({ min: 1, max: 64 }).chain((width) => {
    const value = fc.bigInt({ min: 0n, max: (1n << BigInt(width)) - 1n });
    return fc.record({
      width: fc.constant(width),
      poly: value.map((p) => p | 1n), // the x^0 term is always present in real generators
      init: value,
      refin: fc.boolean(),
      refout: fc.boolean(),
      xorout: value,
    });
  });

  test('random parameters (widths 1-64, any reflection) and random data', () => {
    fc.assert(
      fc.property(params, data, (p, buf) => {
        assert.equal(
          makeCrc(p)(buf),
          bitwise(p, buf),
          JSON.stringify(p, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)),
        );
      }),
      { numRuns: 1500 },
    );
  });
});
