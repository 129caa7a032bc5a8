/** Decoder fixture tables: the scooter telegram (checksum right and wrong), checksums, definitions, default decoding (JSON and protobuf: decoders-formats.test.ts). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDecodersYaml, toDecodersYaml } from '../decoder-yaml.js';
import { TsunaguError } from '../../core/errors.js';
import type { DecodedValues, DecodeOutcome } from '../types.js';
import {
  compileChecksum,
  compileDecoder,
  crc16Ccitt,
  crc16Modbus,
  decodeDefaultEvent,
  decodeDefaultTelemetry,
  sum8,
  xor8,
} from './index.js';

const scooterYaml = readFileSync(new URL('../fixtures/scooter-telegram.yaml', import.meta.url), 'utf8');
const scooter = compileDecoder(parseDecodersYaml(scooterYaml)[0]);

/** The telegram from the issue, with its original trailing field 4E41 (wrong under our checksum). */
const ISSUE_TELEGRAM =
  '0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0.0&0.00&0,100,4E41';
/** The same telegram with the correct CRC-16/CCITT-FALSE over the text before the last comma. */
const GOOD_TELEGRAM =
  '0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0.0&0.00&0,100,0454';

const ok = (r: DecodeOutcome): DecodedValues => {
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.values;
};
const metrics = (v: DecodedValues): Record<string, number> =>
  Object.fromEntries(v.metrics.map((m) => [m.name, m.value]));
const withChecksum = (body: string): string =>
  `${body},${crc16Ccitt(Buffer.from(body)).toString(16).toUpperCase().padStart(4, '0')}`;

describe('checksums', () => {
  // Standard check values for "123456789" (reveng.sourceforge.io CRC catalogue) and hand sums.
  const cases: [string, (b: Buffer) => number, number][] = [
    ['crc16-ccitt (CCITT-FALSE)', crc16Ccitt, 0x29b1],
    ['crc16-modbus', crc16Modbus, 0x4b37],
    ['xor8', xor8, 0x31],
    ['sum8', sum8, 0xdd],
  ];
  for (const [name, fn, expected] of cases)
    test(`${name} of "123456789" is 0x${expected.toString(16)}`, () =>
      assert.equal(fn(Buffer.from('123456789')), expected));
  test('compileChecksum() dispatches by algorithm name', () => {
    const sum = (algorithm: string, b: Buffer): bigint => compileChecksum({ algorithm }, 'c').compute(b);
    assert.equal(sum('crc16-modbus', Buffer.from('123456789')), 0x4b37n);
    assert.equal(sum('sum8', Buffer.from([0xff, 0x02])), 0x01n);
  });
});

describe('scooter telegram (CSV)', () => {
  test('the fixture line with the right CRC decodes into metrics, attributes and status events', () => {
    const v = ok(scooter.decode(Buffer.from(GOOD_TELEGRAM)));
    const m = metrics(v);
    assert.equal(m.speed, 0);
    assert.equal(m.odometer, 20920.53); // BCD 02092053 × 0.01 km
    assert.equal(m['battery.temperature'], 26);
    assert.equal(m['battery.soc'], 99);
    assert.equal(m.battery_voltage, 54.095);
    assert.equal(m.iot_battery_voltage, 4.053);
    assert.equal(m.rssi, -89); // scale -1
    assert.equal(m.lights_on, 1);
    assert.equal(m['imu.shocks'], 0);
    assert.equal(m.battery_health, 100);
    assert.equal('gps.lat' in m, false, 'empty GPS fields are absent, not zero');
    assert.deepEqual(
      v.attributes.map((a) => `${a.name}=${a.text}`),
      ['lock_state=locked', 'ride_mode=eco', 'firmware_build=16B0'],
    );
    // 0x0440: bits 6 and 10; 0x0130: bits 4, 5 and 8. error_code 0 is "no error".
    assert.deepEqual(
      v.events.map((e) => `${e.code}/${e.severity}`),
      [
        'HEADLIGHT_FAULT/warning',
        'IOT_BATTERY_LOW/warning',
        'GPS_NO_FIX/info',
        'GPS_ANTENNA_OPEN/warning',
        'CELL_ROAMING/info',
      ],
    );
    assert.deepEqual(v.events[0]!.fields, { field: 'hw_status', bit: 6, word: '0440' });
  });

  test('the issue’s line (trailing 4E41) fails the checksum and names the expected value', () => {
    const r = scooter.decode(Buffer.from(ISSUE_TELEGRAM));
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /checksum mismatch: telegram says "4E41", crc16-ccitt .* is 0454/);
  });

  const table: [string, string, (v: DecodedValues) => void][] = [
    [
      'GPS fix and a motor fault',
      withChecksum(
        '2,18.5,1,3.2,35.6812,139.7671,40.0,270.5,0001,0000,16B0,02092053,30&80,4,55,1,52000,4100,70,0,0,1,rider-7,1.5&-0.25&2,97',
      ),
      (v) => {
        const m = metrics(v);
        assert.equal(m['gps.lat'], 35.6812);
        assert.equal(m['gps.heading'], 270.5);
        assert.equal(m['imu.roll'], -0.25);
        assert.deepEqual(
          v.events.map((e) => e.code),
          ['MOTOR_FAULT'],
        );
        assert.equal(v.events[0]!.severity, 'critical');
        assert.ok(v.attributes.some((a) => a.name === 'last_rider' && a.text === 'rider-7'));
        assert.ok(v.attributes.some((a) => a.name === 'lock_state' && a.text === 'riding'));
      },
    ],
    [
      'error code from the code table',
      withChecksum('1,0.0,0,0.0,,,,,0000,0000,16B0,02092053,30&80,4,55,0,52000,4100,70,21,1,0,,0&0&0,97'),
      (v) => {
        assert.deepEqual(
          v.events.map((e) => `${e.code}/${e.severity}`),
          ['E21_BMS_OVERTEMP/critical'],
        );
        assert.equal(metrics(v).charging, 1);
      },
    ],
    [
      'unlisted error code uses the default template',
      withChecksum('1,0.0,0,0.0,,,,,0000,0000,16B0,02092053,30&80,4,55,0,52000,4100,70,99,1,0,,0&0&0,97'),
      (v) => {
        assert.deepEqual(
          v.events.map((e) => e.code),
          ['CONTROLLER_ERROR'],
        );
        assert.deepEqual(v.events[0]!.fields, { field: 'error_code', value: '99' });
      },
    ],
    [
      'composite with a missing part is partial, not an error',
      withChecksum('1,0.0,0,0.0,,,,,0000,0000,16B0,02092053,30,4,55,0,52000,4100,70,0,1,0,,&&,97'),
      (v) => {
        const m = metrics(v);
        assert.equal(m['battery.temperature'], 30);
        assert.equal('battery.soc' in m, false);
        assert.equal('imu.pitch' in m, false);
      },
    ],
    [
      'CRLF line ending is accepted',
      withChecksum('0,0.0,0,0.0,,,,,0000,0000,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0&0&0,100') +
        '\r',
      (v) => {
        assert.equal(metrics(v)['battery.soc'], 99);
      },
    ],
  ];
  for (const [name, line, check] of table)
    test(`decodes: ${name}`, () => check(ok(scooter.decode(Buffer.from(line)))));

  const failures: [string, string, RegExp][] = [
    [
      'a non-number in an int field',
      withChecksum('0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,two,41,0,54095,4053,89,0,0,1,,0&0&0,100'),
      /field signal_bars: "two" is not int/,
    ],
    [
      'an enum code without a label',
      withChecksum('7,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0&0&0,100'),
      /lock_state: 7 is not one of the enum codes/,
    ],
    [
      'BCD with a nibble above 9',
      withChecksum('0,0.0,0,0.0,,,,,0440,0130,16B0,0209205A,26&99,2,41,0,54095,4053,89,0,0,1,,0&0&0,100'),
      /odometer: "0209205A" is not bcd/,
    ],
    [
      'a bad hex status word',
      withChecksum('0,0.0,0,0.0,,,,,04G0,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0&0&0,100'),
      /hw_status: "04G0" is not hex/,
    ],
    [
      'too few fields',
      withChecksum('0,0.0,0'),
      /telegram has 4 positions \(0-3, the checksum included\), expected at least 26/,
    ],
    [
      'a composite with too many parts',
      withChecksum('0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99&1,2,41,0,54095,4053,89,0,0,1,,0&0&0,100'),
      /battery: 3 parts/,
    ],
    ['no delimiter at all', 'garbage', /no checksum field/],
    ['empty', '', /empty telegram/],
    ['binary bytes', '\u0000\u0001\u0002,0454', /binary or control bytes/],
  ];
  for (const [name, line, reason] of failures)
    test(`refuses: ${name}`, () => {
      const r = scooter.decode(Buffer.from(line));
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.reason, reason);
    });

  test('checksum variants: modbus/xor8/sum8, decimal encoding, through-last-delimiter', () => {
    const body = 'A,1,2';
    const cases: [Record<string, unknown>, string][] = [
      [{ algorithm: 'crc16-modbus' }, crc16Modbus(Buffer.from(body)).toString(16)],
      [{ algorithm: 'xor8' }, xor8(Buffer.from(body)).toString(16)],
      [{ algorithm: 'sum8', encoding: 'decimal' }, String(sum8(Buffer.from(body)))],
      [{ algorithm: 'sum8', covers: 'through-last-delimiter' }, sum8(Buffer.from(body + ',')).toString(16)],
    ];
    for (const [cs, sum] of cases) {
      const d = compileDecoder({
        id: 'x',
        type: 'csv',
        spec: {
          checksum: cs,
          fields: [
            { index: 1, name: 'a', type: 'int' },
            { index: 2, name: 'b', type: 'int' },
          ],
        },
      });
      assert.deepEqual(
        metrics(ok(d.decode(Buffer.from(`${body},${sum}`)))),
        { a: 1, b: 2 },
        JSON.stringify(cs),
      );
      assert.equal(
        d.decode(Buffer.from(`A,1,3,${sum}`)).ok,
        false,
        `${JSON.stringify(cs)} detects a changed field`,
      );
    }
  });

  test('device id and timestamp fields', () => {
    const d = compileDecoder({
      id: 'x',
      type: 'csv',
      spec: {
        deviceIdField: 0,
        timestamp: { field: 1, format: 'epoch-s' },
        fields: [{ index: 2, name: 'v', type: 'float', scale: 10, offset: 1 }],
      },
    });
    const v = ok(d.decode(Buffer.from('scooter-9,1767225600,0.5')));
    assert.equal(v.deviceId, 'scooter-9');
    assert.equal(v.ts, Date.UTC(2026, 0, 1));
    assert.deepEqual(metrics(v), { v: 6 });
  });
});

describe('definitions', () => {
  const bad: [unknown, RegExp][] = [
    [{ id: 'x', type: 'xml', spec: {} }, /^type: must be one of json, csv, protobuf/],
    [{ id: 'bad id', type: 'json', spec: {} }, /^id: must be/],
    [
      {
        id: 'x',
        type: 'csv',
        spec: {
          fields: [
            { index: 0, name: 'a', type: 'float' },
            { index: 0, name: 'b', type: 'int' },
          ],
        },
      },
      /spec.fields\[1\].index: position 0 is declared twice/,
    ],
    [
      { id: 'x', type: 'csv', spec: { fields: [{ index: 0, name: 'a', type: 'enum' }] } },
      /spec.fields\[0\].labels: an enum needs labels/,
    ],
    [
      {
        id: 'x',
        type: 'csv',
        spec: { fields: [{ index: 0, name: 's', type: 'float', role: 'status', bits: {} }] },
      },
      /spec.fields\[0\].type: status fields are hex, int or bcd/,
    ],
    [
      { id: 'x', type: 'csv', spec: { checksum: { algorithm: 'md5' }, fields: [] } },
      /spec.checksum.algorithm: must be a CRC catalogue name such as CRC-16\/XMODEM/,
    ],
    [{ id: 'x', type: 'json', spec: { metrics: [{ path: 'a..b' }] } }, /spec.metrics\[0\].path/],
    [
      {
        id: 'x',
        type: 'json',
        spec: { events: [{ path: 'e', codes: { 1: { code: 'A', severity: 'fatal' } } }] },
      },
      /spec.events\[0\].codes.1.severity/,
    ],
  ];
  for (const [def, why] of bad)
    test(`rejects ${JSON.stringify(def).slice(0, 80)}`, () => {
      assert.throws(
        () => compileDecoder(def),
        (err: unknown) =>
          err instanceof TsunaguError && err.code === 'DECODER_INVALID' && why.test(err.message),
      );
    });

  test('YAML export then import round-trips every definition', () => {
    const defs = parseDecodersYaml(scooterYaml);
    const again = parseDecodersYaml(
      toDecodersYaml([...defs, { id: 'j', name: 'j', type: 'json', spec: { metrics: [{ path: 'a' }] } }]),
    );
    assert.deepEqual(again, [
      ...defs,
      { id: 'j', name: 'j', type: 'json', spec: { metrics: [{ path: 'a' }] } },
    ]);
  });
});

describe('default decoding (no decoder on the model)', () => {
  test('numeric and boolean leaves become points named by path; strings become attributes; ts is the time', () => {
    const v = ok(
      decodeDefaultTelemetry(
        Buffer.from(
          JSON.stringify({
            ts: 1767225600,
            battery: { soc: 80, charging: false },
            cells: [3.1, 3.2],
            fw: '1.2.3',
          }),
        ),
      ),
    );
    assert.equal(v.ts, Date.UTC(2026, 0, 1));
    assert.deepEqual(metrics(v), {
      'battery.soc': 80,
      'battery.charging': 0,
      'cells[0]': 3.1,
      'cells[1]': 3.2,
    });
    assert.deepEqual(v.attributes, [{ name: 'fw', text: '1.2.3' }]);
  });
  test('a non-object payload is a decode error', () => {
    assert.equal(decodeDefaultTelemetry(Buffer.from('[1,2]')).ok, false);
    assert.equal(decodeDefaultTelemetry(Buffer.from('42')).ok, false);
  });
  test('events: code, severity, message and the rest as fields', () => {
    const v = ok(
      decodeDefaultEvent(
        Buffer.from(
          JSON.stringify({
            code: 'LOCK_JAMMED',
            severity: 'error',
            message: 'Lock motor stalled',
            attempts: 3,
          }),
        ),
      ),
    );
    assert.deepEqual(v.events, [
      { code: 'LOCK_JAMMED', severity: 'error', message: 'Lock motor stalled', fields: { attempts: 3 } },
    ]);
  });
});
