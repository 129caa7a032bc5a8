// decoded() and the decoded-telemetry source end to end: a model's CSV decoder, a binary-ish
// telegram over MQTT (decoded() in the rule) and over raw TCP ($tsunagu/events/telemetry/<device>).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { MqttClient } from 'mqtt';
import { SCOOTER_CSV_DECODER, scooterTelegram } from '../test-support/decoder-fixtures.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { api, connect, type Body } from '../test-support/platform-api.js';
import { until } from '../test-support/until.js';

const CSV_DECODER = SCOOTER_CSV_DECODER;
const telegram = scooterTelegram;

describe('rules: decoded() and decoded telemetry', () => {
  let p: TestPlatform;
  let watcher: MqttClient;
  let secret = '';
  const got: { topic: string; body: Body }[] = [];
  const ok = async (method: 'POST', url: string, body: unknown): Promise<Body> => {
    const r = await api(p, method, url, body);
    assert.ok(r.status < 300, `${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  before(async () => {
    p = await startTestPlatform({ allowAnonymous: true, telegramPort: 0 });
    await ok('POST', '/decoders', CSV_DECODER);
    await ok('POST', '/device-models', {
      name: 'scooter',
      decoders: [
        { match: { transport: 'mqtt', topic: 'devices/+/bin' }, decoder: 'scooter-csv' },
        { match: { transport: 'telegram' }, decoder: 'scooter-csv' },
      ],
    });
    await ok('POST', '/devices', { id: 'sc-1', model: 'scooter' });
    secret = String((await ok('POST', '/devices/sc-1/credentials', { kind: 'password' })).secret);
    watcher = await connect(p.mqttUrl, 'watcher');
    watcher.on('message', (topic, payload) =>
      got.push({ topic, body: JSON.parse(payload.toString()) as Body }),
    );
    await watcher.subscribeAsync('out/#', { qos: 1 });
  });
  after(async () => {
    await watcher.endAsync();
    await p.close();
  });

  test('decoded(): the rule sees the model decoder output of a telegram sent over MQTT', async () => {
    await ok('POST', '/rules', {
      name: 'soc_mqtt',
      sql: "SELECT decoded().metrics.soc AS soc, decoded().attributes.record AS rec FROM 'devices/+/bin'",
      actions: [{ type: 'republish', topic: 'out/mqtt/${topic(2)}' }],
    });
    const dev = await connect(p.mqttUrl, 'sc-1');
    await dev.publishAsync('devices/sc-1/bin', telegram(64), { qos: 1 });
    await dev.endAsync();
    await until('the decoded republish', () => got.some((g) => g.topic === 'out/mqtt/sc-1'));
    assert.deepEqual(got.find((g) => g.topic === 'out/mqtt/sc-1')!.body, { soc: 64, rec: 'T1' });
  });

  test('a message the decoder refuses gives Undefined (the key is left out), not a failed rule', async () => {
    const dev = await connect(p.mqttUrl, 'sc-1');
    await dev.publishAsync('devices/sc-1/bin', 'T1,64,0000', { qos: 1 });
    await dev.endAsync();
    await until('the second republish', () => got.filter((g) => g.topic === 'out/mqtt/sc-1').length === 2);
    assert.deepEqual(got.filter((g) => g.topic === 'out/mqtt/sc-1')[1]!.body, {});
  });

  test('$tsunagu/events/telemetry/<device>: telegrams over raw TCP reach rules decoded', async () => {
    await ok('POST', '/rules', {
      name: 'low_battery',
      sql: "SELECT deviceId, transport, metrics.soc AS soc FROM '$tsunagu/events/telemetry/+' WHERE metrics.soc < 20",
      actions: [{ type: 'republish', topic: 'out/low/${deviceId}' }],
    });
    const socket = net.connect(p.addresses.extra.telegram!, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`HELLO sc-1 ${secret}\n${telegram(55)}\n${telegram(12)}\n`);
    await until('the low-battery republish', () => got.some((g) => g.topic === 'out/low/sc-1'));
    socket.destroy();
    const low = got.filter((g) => g.topic === 'out/low/sc-1');
    assert.deepEqual(
      low.map((g) => g.body),
      [{ deviceId: 'sc-1', transport: 'telegram', soc: 12 }],
    );
  });
});
