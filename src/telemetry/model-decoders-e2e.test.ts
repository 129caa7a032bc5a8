/**
 * One scooter model, two decoders: JSON events over MQTT (mqtt.js, real broker) and CSV telegrams
 * over raw TCP (HELLO with the device's password) and over HTTP text/plain — the model's
 * `decoders` picks per message, set through the registry API like an operator would.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqtt from 'mqtt';
import { SCOOTER_CSV_DECODER, scooterTelegram } from '../test-support/decoder-fixtures.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import type { TelemetryModule } from './index.js';

const JSON_DECODER = {
  id: 'scooter-json',
  type: 'json',
  spec: {
    events: [{ path: 'fault', codes: { F1: { code: 'BRAKE_FAULT', severity: 'error', message: 'Brake' } } }],
    metrics: [{ path: 'mv', name: 'battery_voltage', scale: 0.001 }],
  },
};
const CSV_DECODER = SCOOTER_CSV_DECODER;
const telegram = scooterTelegram;

describe('a model with decoders per transport/topic, end to end', () => {
  let p: TestPlatform;
  let telemetry: TelemetryModule;
  let secret = '';

  const api = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, type?: string) => {
    const r = await p.app.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...p.auth, ...(type ? { 'content-type': type } : {}) },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return JSON.parse(r.body) as Record<string, unknown>;
  };
  const points = async (metric: string) =>
    (
      await telemetry.store.queryPoints({
        deviceId: 'sc-1',
        metric,
        from: 0,
        to: Date.now() + 1e6,
        limit: 100,
      })
    ).map((x) => x.value);

  before(async () => {
    p = await startTestPlatform({ allowAnonymous: true, telegramPort: 0 });
    telemetry = p.app.modules.find((m) => m.name === 'telemetry') as TelemetryModule;
    await api('POST', '/decoders', JSON_DECODER);
    await api('POST', '/decoders', CSV_DECODER);
    await api('POST', '/device-models', {
      name: 'scooter',
      decoders: [
        { match: { transport: 'mqtt', topic: 'devices/+/events' }, decoder: 'scooter-json' },
        { match: { transport: 'telegram' }, decoder: 'scooter-csv' },
      ],
    });
    await api('POST', '/devices', { id: 'sc-1', model: 'scooter' });
    secret = String((await api('POST', '/devices/sc-1/credentials', { kind: 'password' })).secret);
  });
  after(async () => {
    await p.close();
  });

  test('MQTT events go through the JSON decoder', async () => {
    const c = await mqtt.connectAsync(p.mqttUrl, { clientId: 'sc-1', reconnectPeriod: 0 });
    try {
      await c.publishAsync('devices/sc-1/events', JSON.stringify({ fault: 'F1', mv: 53870 }), { qos: 1 });
    } finally {
      await c.endAsync();
    }
    assert.deepEqual(await points('battery_voltage'), [53.87]);
    const events = await telemetry.store.queryEvents({
      deviceId: 'sc-1',
      from: 0,
      to: Date.now() + 1e6,
      limit: 10,
    });
    assert.deepEqual(
      events.map((e) => e.code),
      ['BRAKE_FAULT'],
    );
  });

  test('raw TCP telegrams go through the CSV decoder', async () => {
    const port = p.addresses.extra.telegram!;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    socket.write(`HELLO sc-1 ${secret}\n${telegram(77)}\n`);
    for (let i = 0; i < 400 && (await points('soc')).length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    socket.destroy();
    assert.match(reply, /^OK/);
    assert.deepEqual(await points('soc'), [77]);
  });

  test('telegram lines a gateway posts as text/plain count as telegrams; JSON over HTTP matches no entry', async () => {
    const r = await api('POST', '/devices/sc-1/telemetry', `${telegram(76)}\n`, 'text/plain');
    assert.deepEqual(r, { accepted: 1, points: 1, events: 0, decodeErrors: 0 });
    assert.deepEqual((await points('soc')).sort(), [76, 77]);
    // No entry matches http and the model has no single decoder: the built-in JSON reading applies.
    const j = await api('POST', '/devices/sc-1/telemetry', { speed: 12.5 });
    assert.deepEqual(j, { accepted: 1, points: 1, events: 0, decodeErrors: 0 });
    assert.deepEqual(await points('speed'), [12.5]);
  });
});
