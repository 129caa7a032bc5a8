import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { compileDecoder } from '../telemetry/index.js';
import { createRng } from './rng.js';
import { crc16Ccitt, formatTelegram, xor8, type TelegramState } from './telegram.js';

const SAMPLE = '0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0.0&0.00&0,100';
const FIXTURE = new URL('../telemetry/fixtures/scooter-telegram.yaml', import.meta.url);

const riding: TelegramState = {
  lockState: 'riding',
  speedKmh: 18.4,
  tripKm: 1.25,
  position: { lat: 52.516275, lon: 13.377704, heading: 270 },
  hwStatus: 1 << 1,
  odometerKm: 20920.53,
  batteryPct: 77,
  batteryTempC: 24,
  errorCode: 0,
  lightsOn: true,
  rssiDbm: -85,
};

describe('CSV telegrams', () => {
  test('CRC-16/CCITT-FALSE matches its check value and the telemetry fixture sample', () => {
    assert.equal(crc16Ccitt(Buffer.from('123456789')), 0x29b1);
    assert.equal(crc16Ccitt(Buffer.from(SAMPLE)), 0x0454);
    assert.equal(xor8(Buffer.from([0x01, 0x02, 0x04])), 0x07);
  });

  test('lines have the 26 positions of the sample and a checksum over the text before the last comma', () => {
    const line = formatTelegram(riding, 'crc16-ccitt');
    const fields = line.split(',');
    assert.equal(fields.length, SAMPLE.split(',').length + 1);
    const body = line.slice(0, line.lastIndexOf(','));
    assert.equal(fields[25], crc16Ccitt(Buffer.from(body)).toString(16).toUpperCase().padStart(4, '0'));
    assert.equal(formatTelegram(riding, 'none').split(',').length, 25);
    assert.match(formatTelegram(riding, 'xor8'), /,[0-9A-F]{2}$/);
    const parked = formatTelegram({ ...riding, lockState: 'locked', position: undefined }, 'none').split(',');
    assert.deepEqual(parked.slice(4, 8), ['', '', '', ''], 'no GPS fix → empty positions');
    assert.equal(parked[9], '0010', 'comm status bit 4: no fix');
  });

  test(
    'the telemetry module decodes simulated telegrams with its scooter schema',
    { skip: !existsSync(FIXTURE) && 'telemetry fixture not present' },
    () => {
      const decoder = compileDecoder(parseYaml(readFileSync(FIXTURE, 'utf8')));
      const rng = createRng(11);
      for (let i = 0; i < 200; i++) {
        const s: TelegramState = {
          ...riding,
          lockState: rng.pick(['locked', 'unlocked', 'riding'] as const),
          speedKmh: rng.uniform(0, 30),
          position: rng.chance(0.2)
            ? undefined
            : { lat: rng.uniform(-80, 80), lon: rng.uniform(-179, 179), heading: rng.uniform(0, 359) },
          hwStatus: rng.pick([0, 1, 2, 1 << 14]),
          batteryPct: rng.uniform(0, 100),
          errorCode: rng.pick([0, 11, 21, 35]),
        };
        const line = formatTelegram(s, 'crc16-ccitt');
        const r = decoder.decode(Buffer.from(line)) as {
          ok: boolean;
          reason?: string;
          values?: { metrics: { name: string; value: number }[]; events: { code: string }[] };
        };
        assert.equal(r.ok, true, `${line}: ${r.reason}`);
        const soc = r.values!.metrics.find((m) => m.name === 'battery.soc');
        assert.equal(soc?.value, Math.round(s.batteryPct));
        if (s.position) assert.ok(r.values!.metrics.some((m) => m.name === 'gps.lat'));
        if (s.hwStatus === 2) assert.ok(r.values!.events.some((e) => e.code === 'BRAKE_SENSOR_FAULT'));
        if (s.errorCode === 21) assert.ok(r.values!.events.some((e) => e.code === 'E21_BMS_OVERTEMP'));
      }
      const broken = formatTelegram(riding, 'crc16-ccitt').replace(/,[0-9A-F]{4}$/, ',0000');
      assert.equal(
        (decoder.decode(Buffer.from(broken)) as { ok: boolean }).ok,
        false,
        'a wrong checksum is rejected',
      );
    },
  );
});
