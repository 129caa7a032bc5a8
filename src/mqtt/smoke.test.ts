// Smoke test: the whole platform starts and mqtt.js talks to the broker over TCP and WebSocket.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestPlatform } from '../test-support/platform.js';

test('platform starts; mqtt.js (v4 and v5) connects, subscribes, publishes QoS 0/1 over TCP and WS', async (t) => {
  const platform = await startTestPlatform({ allowAnonymous: true });
  t.after(() => platform.close());
  const seen: string[] = [];
  const unsub = platform.app.broker.subscribe('smoke/#', (m) => {
    seen.push(`${m.topic}:${m.payload.toString()}:${m.clientId ?? ''}`);
  });
  t.after(unsub);

  for (const protocolVersion of [4, 5] as const) {
    const sub = await mqtt.connectAsync(platform.mqttUrl, {
      protocolVersion,
      clientId: `sub${protocolVersion}`,
    });
    const pub = await mqtt.connectAsync(`ws://127.0.0.1:${platform.addresses.http}/mqtt`, {
      protocolVersion,
      clientId: `pub${protocolVersion}`,
    });
    try {
      assert.equal(platform.app.broker.isConnected(`sub${protocolVersion}`), true);
      assert.equal(platform.app.broker.clientInfo(`pub${protocolVersion}`)?.transport, 'ws');
      await sub.subscribeAsync('smoke/+', { qos: 1 });
      const got = new Promise<string[]>((resolve) => {
        const msgs: string[] = [];
        sub.on('message', (topic, payload) => {
          msgs.push(`${topic}=${payload.toString()}`);
          if (msgs.length === 3) resolve(msgs);
        });
      });
      await pub.publishAsync('smoke/a', 'zero', { qos: 0 });
      await pub.publishAsync('smoke/b', 'one', { qos: 1 });
      await platform.app.broker.publish({ topic: 'smoke/c', payload: 'platform', qos: 1 });
      assert.deepEqual((await got).sort(), ['smoke/a=zero', 'smoke/b=one', 'smoke/c=platform']);
    } finally {
      await sub.endAsync();
      await pub.endAsync();
    }
  }
  assert.ok(seen.includes('smoke/b:one:pub4'));
  assert.ok(seen.includes('smoke/c:platform:'));
});
