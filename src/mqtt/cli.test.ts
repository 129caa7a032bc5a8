// End to end through the `tsunagu start` command: durability across kill -9, and a taken port.
import assert from 'node:assert/strict';
import { startPlatformProcess } from '../test-support/cli-process.js';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import mqtt from 'mqtt';
import { delay } from './test-helpers.js';
import { freePort } from '../test-support/ports.js';

const start = startPlatformProcess;

async function connectWhenUp(url: string, opts: mqtt.IClientOptions, ms = 30_000): Promise<mqtt.MqttClient> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await mqtt.connectAsync(url, { ...opts, reconnectPeriod: 0, connectTimeout: 2000 });
    } catch (err) {
      if (Date.now() > until) throw err;
      await delay(200);
    }
  }
}

describe('tsunagu start', () => {
  test('QoS 1 messages acknowledged for an offline persistent session survive kill -9', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-kill-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const mqttPort = await freePort();
    const httpPort = await freePort();
    const args = [
      '--allow-anonymous',
      '--mqtt-port',
      String(mqttPort),
      '--http-port',
      String(httpPort),
      '--data-dir',
      dataDir,
      '--admin-token',
      'kill-test-token-0123456789',
    ];
    const url = `mqtt://127.0.0.1:${mqttPort}`;
    const subOpts = {
      protocolVersion: 5 as const,
      clientId: 'durable-sub',
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    };
    const N = 50;

    let p = start(args);
    t.after(() => p.child.kill('SIGKILL'));
    const sub = await connectWhenUp(url, subOpts);
    await sub.subscribeAsync('durable/#', { qos: 1 });
    await sub.endAsync();
    const pub = await connectWhenUp(url, { protocolVersion: 4, clientId: 'durable-pub' });
    await Promise.all(
      Array.from({ length: N }, (_, i) => pub.publishAsync(`durable/${i}`, String(i), { qos: 1 })),
    );
    pub.end(true);
    p.child.kill('SIGKILL');
    await p.exited;

    p = start(args);
    const got = new Set<string>();
    // Wait until the restarted platform accepts connections (a probe client), then connect the
    // subscriber with its message listener attached before CONNACK.
    (await connectWhenUp(url, { protocolVersion: 4, clientId: 'probe' })).end(true);
    const client = mqtt.connect(url, { ...subOpts, reconnectPeriod: 0 });
    t.after(() => client.end(true));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${got.size}/${N} messages after restart`)),
        20_000,
      );
      client.on('message', (_topic, payload) => {
        got.add(payload.toString());
        if (got.size === N) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    assert.equal(got.size, N);
    p.child.kill('SIGTERM');
    await p.exited;
  });

  test('a taken MQTT port fails with exit code 2 naming the port and --mqtt-port', async (t) => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    t.after(() => blocker.close());
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-port-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const p = start([
      '--allow-anonymous',
      '--mqtt-port',
      String(port),
      '--http-port',
      '0',
      '--data-dir',
      dataDir,
      '--admin-token',
      'port-test-token-0123456789',
    ]);
    const code = await p.exited;
    assert.equal(code, 2);
    assert.match(p.output(), new RegExp(`port ${port}`));
    assert.match(p.output(), /--mqtt-port/);
  });
});
