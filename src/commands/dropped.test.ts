/**
 * A command the broker drops for its device fails with the reason (issue 12): here an MQTT 5
 * device that accepts packets of at most 128 bytes gets a command with bigger params.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { api, connect, registerDevice } from '../test-support/platform-api.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';

describe('commands dropped by the broker', () => {
  let p: TestPlatform;
  let device: MqttClient;
  const received: string[] = [];

  before(async () => {
    p = await startTestPlatform();
    const secret = await registerDevice(p, 'small-1');
    device = await connect(p.mqttUrl, 'small-1', {
      username: 'small-1',
      password: secret,
      protocolVersion: 5,
      properties: { maximumPacketSize: 300 },
    });
    device.on('message', (topic, _payload, packet) => {
      received.push(topic);
      void device.publishAsync(packet.properties?.responseTopic ?? `${topic}/reply`, '{"status":"ok"}', {
        qos: 1,
        properties: { correlationData: packet.properties!.correlationData! },
      });
    });
    await device.subscribeAsync('devices/small-1/commands/+', { qos: 1 });
  });

  after(async () => {
    await device?.endAsync();
    await p?.close();
  });

  test('a command bigger than the device accepts fails DELIVERY_DROPPED with the reason', async () => {
    const r = await api(p, 'POST', '/devices/small-1/commands', {
      name: 'configure',
      params: { blob: 'x'.repeat(400) },
      wait: true,
      timeoutMs: 10_000,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'failed');
    assert.equal(r.body.errorCode, 'DELIVERY_DROPPED');
    assert.match(r.body.errorMessage as string, /too large/);
    assert.deepEqual(received, []);
    const metrics = await (await fetch(`${p.httpUrl}/metrics`)).text();
    assert.match(metrics, /^tsunagu_mqtt_platform_dropped_total [1-9]/m);
  });

  test('a command that fits is delivered and succeeds', async () => {
    const r = await api(p, 'POST', '/devices/small-1/commands', {
      name: 'configure',
      params: { blob: 'x' },
      wait: true,
      timeoutMs: 10_000,
    });
    assert.equal(r.body.status, 'succeeded', JSON.stringify(r.body));
    assert.deepEqual(received, ['devices/small-1/commands/configure']);
  });
});
