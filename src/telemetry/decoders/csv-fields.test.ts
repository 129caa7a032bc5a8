/**
 * `minFields` counts positions exactly as `index` numbers them: every delimiter-separated field of
 * the line as the device sent it, the first position (index 0, often a record type) and the
 * checksum included. A 26-position telegram (indices 0-25) passes `minFields: 26`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileDecoder } from './index.js';

const SCOOTER =
  '0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0.0&0.00&0,100,0454';

const csv = (spec: Record<string, unknown>) => compileDecoder({ id: 'c', type: 'csv', spec });
const crc = { algorithm: 'crc16-ccitt' };

describe('minFields counts every position, the first and the checksum included', () => {
  const cases: [string, Record<string, unknown>, string, string | undefined][] = [
    // name, spec, telegram, expected error (undefined: decodes)
    [
      '26-position telegram with checksum, minFields 26',
      { minFields: 26, checksum: crc },
      SCOOTER,
      undefined,
    ],
    [
      '26-position telegram with checksum, minFields 27',
      { minFields: 27, checksum: crc },
      SCOOTER,
      'telegram has 26 positions (0-25, the checksum included), expected at least 27',
    ],
    ['3 positions, minFields 3', { minFields: 3 }, 'T1,5,6', undefined],
    [
      '3 positions, minFields 4',
      { minFields: 4 },
      'T1,5,6',
      'telegram has 3 positions (0-2), expected at least 4',
    ],
    ['empty positions count', { minFields: 4 }, 'T1,,,', undefined],
    ['one position', { minFields: 1 }, 'T1', undefined],
  ];
  for (const [name, spec, line, err] of cases)
    test(name, () => {
      const r = csv({ ...spec, fields: [{ index: 0, name: 'record', type: 'string' }] }).decode(
        Buffer.from(line),
      );
      if (err === undefined) assert.ok(r.ok, r.ok ? '' : r.reason);
      else assert.deepEqual(r, { ok: false, reason: err });
    });

  test('positions are the indices fields use: index 25 of the scooter telegram is its checksum', () => {
    const r = csv({
      minFields: 26,
      fields: [{ index: 25, name: 'crc', type: 'hex', role: 'attribute' }],
    }).decode(Buffer.from(SCOOTER));
    assert.ok(r.ok);
    assert.deepEqual(r.values.attributes, [{ name: 'crc', text: '0454' }]);
  });
});
