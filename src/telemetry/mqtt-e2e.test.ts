/** End to end over the real broker with mqtt.js: devices publish, the platform decodes and stores. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { TsunaguEvents } from '../core/events.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import type { TelemetryModule } from './index.js';

const SCOOTER_YAML = readFileSync(new URL('./fixtures/scooter-telegram.yaml', import.meta.url), 'utf8');
const GOOD = '0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0.0&0.00&0,100,0454';
const ISSUE = '0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0.0&0.00&0,100,4E41';

describe('telemetry over MQTT (mqtt.js against the real broker)', () => {
  let p: TestPlatform;
  let telemetry: TelemetryModule;
  const clients: MqttClient[] = [];
  const messages: TsunaguEvents['device.message'][] = [];

  const api = async (
    method: 'GET' | 'POST',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const r = await p.app.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...p.auth, ...headers },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return JSON.parse(r.body) as Record<string, unknown>;
  };
  const connect = async (clientId: string, protocolVersion: 4 | 5 = 4) => {
    const c = await mqtt.connectAsync(p.mqttUrl, { clientId, protocolVersion, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };

  before(async () => {
    p = await startTestPlatform({ allowAnonymous: true });
    telemetry = p.app.modules.find((m) => m.name === 'telemetry') as TelemetryModule;
    p.app.bus.on('device.message', (m) => messages.push(m));
    await api('POST', '/decoders/import', SCOOTER_YAML, { 'content-type': 'application/yaml' });
    await api('POST', '/device-models', { name: 'scooter', decoder: 'scooter-telegram-v1' });
    for (let i = 0; i < 3; i++) await api('POST', '/devices', { id: `sc-${i}`, model: 'scooter' });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.endAsync()));
    await p.close();
  });

  test('a QoS 1 telegram is decoded and durable by the time PUBACK arrives', async () => {
    const c = await connect('sc-0');
    await c.publishAsync('devices/sc-0/telemetry', GOOD, { qos: 1 });
    // No flush, no polling: the broker sent PUBACK only after the batch was written.
    const latest = await telemetry.store.latest({ deviceIds: ['sc-0'], metric: 'battery.soc', limit: 10 });
    assert.deepEqual(
      latest.map((l) => l.value),
      [99],
    );
    const events = await telemetry.store.queryEvents({
      deviceId: 'sc-0',
      from: 0,
      to: Date.now() + 60_000,
      limit: 10,
    });
    assert.deepEqual(events.map((e) => e.code).sort(), [
      'CELL_ROAMING',
      'GPS_ANTENNA_OPEN',
      'GPS_NO_FIX',
      'HEADLIGHT_FAULT',
      'IOT_BATTERY_LOW',
    ]);
    assert.ok(messages.some((m) => m.deviceId === 'sc-0' && m.kind === 'telemetry' && m.decoded));
  });

  test('a telegram with a wrong checksum becomes a decode_error holding the raw payload (MQTT 5 client)', async () => {
    const c = await connect('sc-1', 5);
    await c.publishAsync('devices/sc-1/telemetry', ISSUE, { qos: 1 });
    const [e] = await telemetry.store.queryEvents({
      deviceId: 'sc-1',
      from: 0,
      to: Date.now() + 60_000,
      code: 'decode_error',
      limit: 10,
    });
    assert.equal(Buffer.from(String(e!.fields!.payload), 'base64').toString(), ISSUE);
    assert.ok(messages.some((m) => m.deviceId === 'sc-1' && m.decoded === false));
  });

  test('heartbeats, and device events from a device without a decoder (default JSON events)', async () => {
    const c = await connect('ev-1');
    await c.publishAsync('devices/ev-1/heartbeat', '', { qos: 1 });
    const latest = await api('GET', '/devices/ev-1/latest');
    assert.equal((latest.lastSeen as { kind: string } | null)?.kind, 'heartbeat');
    await c.publishAsync(
      'devices/ev-1/events',
      JSON.stringify({ code: 'LOCK_JAMMED', severity: 'error', message: 'Lock motor stalled' }),
      { qos: 1 },
    );
    const [e] = await telemetry.store.queryEvents({
      deviceId: 'ev-1',
      from: 0,
      to: Date.now() + 60_000,
      code: 'LOCK_JAMMED',
      limit: 10,
    });
    assert.equal(e?.message, 'Lock motor stalled');
  });

  test('many devices publishing at once (unregistered, default JSON decoding): every QoS 1 message is stored', async () => {
    const fleet = await Promise.all(Array.from({ length: 20 }, (_, i) => connect(`gw-${i}`)));
    await Promise.all(
      fleet.map(async (c, i) => {
        for (let n = 0; n < 10; n++)
          await c.publishAsync(`devices/gw-${i}/telemetry`, JSON.stringify({ seq: n, temp: 20 + n / 10 }), {
            qos: 1,
          });
      }),
    );
    const rows = await telemetry.store.latest({
      deviceIds: fleet.map((_, i) => `gw-${i}`),
      metric: 'seq',
      limit: 100,
    });
    assert.deepEqual(
      rows.map((r) => r.value),
      fleet.map(() => 9),
    );
    let total = 0;
    for (let i = 0; i < 20; i++)
      total += (
        await telemetry.store.queryPoints({
          deviceId: `gw-${i}`,
          metric: 'seq',
          from: 0,
          to: Date.now() + 60_000,
          limit: 100,
        })
      ).length;
    assert.equal(total, 200);
  });
});
