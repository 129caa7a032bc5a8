/** The ingest pipeline over FakeBroker: MQTT topics → decoders → store, bus events, decode errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { DeviceLastSeen } from '../core/index.js';
import { crc16Ccitt } from './decoders/index.js';
import { parseDecodersYaml } from './decoder-yaml.js';
import { startHarness, type Harness } from './test-harness.js';

const SCOOTER = parseDecodersYaml(
  readFileSync(new URL('./fixtures/scooter-telegram.yaml', import.meta.url), 'utf8'),
)[0]!;
const telegram = (hw: string, code = '0'): string => {
  const body = `0,0.0,0,0.0,,,,,${hw},0000,16B0,02092053,26&99,2,41,0,54095,4053,89,${code},0,1,,0.0&0.00&0,100`;
  return `${body},${crc16Ccitt(Buffer.from(body)).toString(16).padStart(4, '0')}`;
};
const HOUR = 3_600_000;

/** What `GET /devices/{id}/telemetry/latest` reports as `lastSeen`: presence's latest message and kind. */
const messageSeen = (r: DeviceLastSeen | undefined) => r && { ts: r.messageAt, kind: r.messageKind };

async function withHarness(fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness();
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

test('MQTT telemetry without a decoder: numeric leaves become points, durable when the handler resolves', () =>
  withHarness(async (h) => {
    await h.broker.inject(
      'boiler-1',
      'devices/boiler-1/telemetry',
      { temp: 21.5, burner: { on: true }, fw: '2.1' },
      1,
    );
    // No flush call: the QoS 1 handler resolved, so the batch is already in the store.
    const pts = await h.telemetry.store.queryPoints({
      deviceId: 'boiler-1',
      from: 0,
      to: h.clock.now() + 1,
      limit: 10,
    });
    assert.deepEqual(
      pts.map((p) => `${p.metric}=${p.value}@${p.ts === h.clock.now()}`),
      ['burner.on=1@true', 'temp=21.5@true'],
    );
    const latest = await h.telemetry.store.latest({ deviceIds: ['boiler-1'], limit: 10 });
    assert.deepEqual(
      latest.map((l) => [l.metric, l.value, l.text]),
      [
        ['burner.on', 1, null],
        ['fw', null, '2.1'],
        ['temp', 21.5, null],
      ],
    );
    assert.deepEqual(h.seen['device.message'], [
      {
        deviceId: 'boiler-1',
        at: h.clock.now(),
        topic: 'devices/boiler-1/telemetry',
        kind: 'telemetry',
        decoded: true,
      },
    ]);
    // Last seen is presence's, fed by that event (telemetry keeps no copy).
    assert.deepEqual(messageSeen(await h.lastSeen.get('boiler-1')), { ts: h.clock.now(), kind: 'telemetry' });
  }));

test('a device whose model has the scooter decoder: telegram → points and readable events, hardwareError flag', () =>
  withHarness(async (h) => {
    await h.telemetry.decoders.put(SCOOTER, 'create');
    h.directory.addModel('scooter', 'scooter-telegram-v1');
    h.directory.addDevice('sc-1', 'scooter');
    await h.broker.inject('sc-1', 'devices/sc-1/telemetry', telegram('0440'));
    h.clock.advance(1000);
    await h.broker.inject('sc-1', 'devices/sc-1/telemetry', telegram('0001', '35'));
    const msgs = h.seen['device.message']!;
    assert.deepEqual(
      msgs.map((m) => [m.decoded, m.hardwareError ?? false]),
      [
        [true, false],
        [true, true],
      ],
    );
    assert.deepEqual(
      h.seen['device.event']!.map((e) => e.code),
      ['HEADLIGHT_FAULT', 'IOT_BATTERY_LOW', 'MOTOR_FAULT', 'E35_HALL_SENSOR'],
    );
    const events = await h.telemetry.store.queryEvents({
      deviceId: 'sc-1',
      from: 0,
      to: h.clock.now() + 1,
      severity: 'critical',
      limit: 10,
    });
    assert.deepEqual(
      events.map((e) => [e.code, e.message]),
      [['MOTOR_FAULT', 'Motor controller reports a fault']],
    );
    const soc = await h.telemetry.store.queryPoints({
      deviceId: 'sc-1',
      metric: 'battery.soc',
      from: 0,
      to: h.clock.now() + 1,
      limit: 10,
    });
    assert.equal(soc.length, 2);
  }));

test('an undecodable message is kept whole as a decode_error event and counted per device and decoder', () =>
  withHarness(async (h) => {
    await h.telemetry.decoders.put(SCOOTER, 'create');
    h.directory.addModel('scooter', 'scooter-telegram-v1');
    h.directory.addDevice('sc-2', 'scooter');
    const bad =
      '0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0.0&0.00&0,100,4E41';
    await h.broker.inject('sc-2', 'devices/sc-2/telemetry', bad);
    const [e] = await h.telemetry.store.queryEvents({
      deviceId: 'sc-2',
      from: 0,
      to: h.clock.now() + 1,
      limit: 10,
    });
    assert.equal(e?.code, 'decode_error');
    assert.match(e.message, /checksum mismatch/);
    assert.equal(Buffer.from(e.fields!.payload as string, 'base64').toString(), bad);
    assert.equal(e.fields!.decoder, 'scooter-telegram-v1');
    assert.equal(h.seen['device.message']![0]!.decoded, false);
    const metric = await h.metrics.getSingleMetric('tsunagu_telemetry_decode_errors_total')!.get();
    assert.deepEqual(
      metric.values.map((v) => [v.labels, v.value]),
      [[{ decoder: 'scooter-telegram-v1', reason: 'undecodable' }, 1]],
    );
  }));

test('a model naming a decoder that does not exist: decode_error, nothing lost', () =>
  withHarness(async (h) => {
    h.directory.addModel('ghost', 'no-such-decoder');
    h.directory.addDevice('g-1', 'ghost');
    await h.broker.inject('g-1', 'devices/g-1/telemetry', { a: 1 });
    const [e] = await h.telemetry.store.queryEvents({
      deviceId: 'g-1',
      from: 0,
      to: h.clock.now() + 1,
      limit: 10,
    });
    assert.match(e!.message, /decoder "no-such-decoder" does not exist/);
  }));

test('heartbeats record last-seen and emit device.message kind heartbeat; events topic stores device events', () =>
  withHarness(async (h) => {
    await h.broker.inject('d1', 'devices/d1/heartbeat', '');
    assert.deepEqual(
      h.seen['device.message']!.map((m) => [m.kind, m.decoded]),
      [['heartbeat', true]],
    );
    assert.deepEqual(messageSeen(await h.lastSeen.get('d1')), { ts: h.clock.now(), kind: 'heartbeat' });
    h.clock.advance(5000);
    await h.broker.inject('d1', 'devices/d1/events', {
      code: 'LOCK_JAMMED',
      severity: 'error',
      message: 'Lock motor stalled',
      attempts: 3,
    });
    const [e] = await h.telemetry.store.queryEvents({
      deviceId: 'd1',
      from: 0,
      to: h.clock.now() + 1,
      limit: 10,
    });
    assert.deepEqual([e!.code, e!.severity, e!.fields], ['LOCK_JAMMED', 'error', { attempts: 3 }]);
    assert.equal(h.seen['device.message']![1]!.hardwareError, true);
    assert.deepEqual(
      h.seen['device.event']!.map((x) => x.code),
      ['LOCK_JAMMED'],
    );
  }));

test('a device time far in the future is not believed; a past time is kept', () =>
  withHarness(async (h) => {
    const now = h.clock.now();
    await h.broker.inject('d1', 'devices/d1/telemetry', { ts: now + 48 * HOUR, a: 1 });
    await h.broker.inject('d1', 'devices/d1/telemetry', { ts: now - HOUR, b: 2 });
    const pts = await h.telemetry.store.queryPoints({
      deviceId: 'd1',
      from: 0,
      to: now + 100 * HOUR,
      limit: 10,
    });
    assert.deepEqual(
      pts.map((p) => [p.metric, p.ts - now]),
      [
        ['b', -HOUR],
        ['a', 0],
      ],
    );
  }));

test('changing a decoder takes effect on the next message (compiled cache invalidated)', () =>
  withHarness(async (h) => {
    await h.telemetry.decoders.put(
      { id: 'j', type: 'json', spec: { metrics: [{ path: 'x', name: 'one' }] } },
      'create',
    );
    h.directory.addModel('m', 'j');
    h.directory.addDevice('d', 'm');
    await h.broker.inject('d', 'devices/d/telemetry', { x: 1 });
    await h.telemetry.decoders.put(
      { id: 'j', type: 'json', spec: { metrics: [{ path: 'x', name: 'two' }] } },
      'upsert',
    );
    h.clock.advance(1);
    await h.broker.inject('d', 'devices/d/telemetry', { x: 2 });
    const pts = await h.telemetry.store.queryPoints({
      deviceId: 'd',
      from: 0,
      to: h.clock.now() + 1,
      limit: 10,
    });
    assert.deepEqual(
      pts.map((p) => `${p.metric}=${p.value}`),
      ['one=1', 'two=2'],
    );
  }));
