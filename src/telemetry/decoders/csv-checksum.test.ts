/**
 * Telegram checksums as decoder specs name them: catalogue names, CRC parameters, the older four
 * names, encodings, and the upload-time errors for each way of getting them wrong.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TsunaguError } from '../../core/errors.js';
import { catalogueCrc, compileDecoder, makeCrc } from './index.js';

const BODY = 'T1,42,0.5';
const csv = (checksum: Record<string, unknown>) =>
  compileDecoder({
    id: 'c',
    type: 'csv',
    spec: { checksum, fields: [{ index: 1, name: 'n', type: 'int' }] },
  });
const crcHex = (name: string, text: string): string => {
  const c = catalogueCrc(name)!;
  return makeCrc(c.params)(Buffer.from(text)).toString(16).toUpperCase();
};

describe('a telegram checksum by catalogue name', () => {
  const names = [
    'CRC-16/XMODEM',
    'CRC-16/MODBUS',
    'CRC-16/CCITT-FALSE',
    'CRC-16/IBM-3740',
    'CRC-16/KERMIT',
    'CRC-32/ISO-HDLC',
    'CRC-32C',
    'CRC-8/SMBUS',
    'CRC-64/XZ',
    'crc16-ccitt',
    'crc16-modbus',
  ];
  for (const name of names)
    test(`${name}: right value decodes, wrong value is a decode error naming both`, () => {
      const d = csv({ algorithm: name });
      const hex = crcHex(name, BODY);
      assert.ok(d.decode(Buffer.from(`${BODY},${hex}`)).ok);
      assert.ok(d.decode(Buffer.from(`${BODY},${hex.toLowerCase()}`)).ok, 'hex is case-insensitive');
      const wrong = (BigInt(`0x${hex}`) ^ 1n).toString(16);
      const r = d.decode(Buffer.from(`${BODY},${wrong}`));
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.reason, new RegExp(`telegram says "${wrong}", .* is 0*${hex}$`));
    });

  test('decimal encoding of a 32-bit CRC and a through-last-delimiter cover', () => {
    const crc = BigInt(`0x${crcHex('CRC-32/ISO-HDLC', `${BODY},`)}`);
    const d = csv({ algorithm: 'CRC-32', encoding: 'decimal', covers: 'through-last-delimiter' });
    assert.ok(d.decode(Buffer.from(`${BODY},${crc}`)).ok);
    assert.equal(d.decode(Buffer.from(`${BODY},${crc + 1n}`)).ok, false);
  });

  test('an alias is named with its catalogue name in messages', () => {
    const r = csv({ algorithm: 'XMODEM' }).decode(Buffer.from(`${BODY},0`));
    assert.match(r.ok ? '' : r.reason, /XMODEM \(CRC-16\/XMODEM\) over before last delimiter is /);
  });
});

describe('a telegram checksum by CRC parameters', () => {
  test('numbers or hex strings; the same result as the catalogue entry', () => {
    const hex = crcHex('CRC-16/XMODEM', BODY);
    for (const crc of [
      { width: 16, poly: 0x1021, init: 0, refin: false, refout: false, xorout: 0 },
      { width: 16, poly: '0x1021', refin: false, refout: false, check: '0x31c3' },
    ])
      assert.ok(csv({ crc }).decode(Buffer.from(`${BODY},${hex}`)).ok, JSON.stringify(crc));
  });

  test('a 64-bit CRC given as hex strings', () => {
    const hex = crcHex('CRC-64/XZ', BODY);
    const crc = {
      width: 64,
      poly: '0x42F0E1EBA9EA3693',
      init: '0xFFFFFFFFFFFFFFFF',
      refin: true,
      refout: true,
      xorout: '0xFFFFFFFFFFFFFFFF',
      check: '0x995DC9BBDF1939FA',
    };
    assert.ok(csv({ crc }).decode(Buffer.from(`${BODY},${hex}`)).ok);
  });

  test('messages name the parameters', () => {
    const want = crcHex('CRC-8/SMBUS', BODY).padStart(2, '0'); // the same parameters
    const r = csv({ crc: { width: 8, poly: 7, refin: false, refout: false } }).decode(
      Buffer.from(`${BODY},0`),
    );
    assert.equal(
      r.ok ? '' : r.reason,
      `checksum mismatch: telegram says "0", CRC(width=8 poly=0x07 init=0x00 refin=false refout=false xorout=0x00) over before last delimiter is ${want}`,
    );
  });
});

describe('refused at upload, naming the field', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ algorithm: 'md5' }, /spec\.checksum\.algorithm: must be a CRC catalogue name/],
    [{ algorithm: 'CRC-16/NOPE' }, /spec\.checksum\.algorithm: must be a CRC catalogue name/],
    [{}, /spec\.checksum: needs exactly one of algorithm/],
    [
      { algorithm: 'xor8', crc: { width: 8, poly: 7, refin: false, refout: false } },
      /spec\.checksum: needs exactly one of algorithm/,
    ],
    [{ crc: 'CRC-16/XMODEM' }, /spec\.checksum\.crc: must be an object/],
    [
      { crc: { width: 0, poly: 7, refin: false, refout: false } },
      /spec\.checksum\.crc\.width: must be an integer from 1 to 64/,
    ],
    [{ crc: { width: 65, poly: 7, refin: false, refout: false } }, /spec\.checksum\.crc\.width/],
    [
      { crc: { width: 8, poly: 0x107, refin: false, refout: false } },
      /spec\.checksum\.crc\.poly: does not fit in 8 bits/,
    ],
    [{ crc: { width: 8, poly: 6, refin: false, refout: false } }, /spec\.checksum\.crc\.poly: must be odd/],
    [
      { crc: { width: 8, poly: 'x7', refin: false, refout: false } },
      /spec\.checksum\.crc\.poly: must be a non-negative integer/,
    ],
    [{ crc: { width: 8, poly: 7, refout: false } }, /spec\.checksum\.crc\.refin: must be true or false/],
    [
      { crc: { width: 8, poly: 7, refin: false, refout: false, reflect: true } },
      /spec\.checksum\.crc\.reflect: is not a CRC parameter/,
    ],
    [
      { crc: { width: 16, poly: 0x1021, init: 0xffff, refin: false, refout: false, check: 0x31c3 } },
      /spec\.checksum\.crc\.check: these parameters give 0x29b1 for "123456789", not 0x31c3/,
    ],
  ];
  for (const [checksum, err] of cases)
    test(JSON.stringify(checksum), () => {
      assert.throws(
        () => csv(checksum),
        (e: unknown) => e instanceof TsunaguError && e.code === 'DECODER_INVALID' && err.test(e.message),
      );
    });
});
