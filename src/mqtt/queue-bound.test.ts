// The bound on a session's queue (limits.maxQueued) never costs a message the publisher saw
// acknowledged: when a QoS 1/2 copy cannot be queued for a matching session, an MQTT 5 publisher
// gets PUBACK / PUBREC 0x97 Quota exceeded instead of success (real mqtt.js clients over TCP).
// Before the fix the publisher got success and the message was gone for the offline subscriber.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { startTestBroker, type TestBroker } from './test-helpers.js';

const MAX_QUEUED = 3;

async function offlineSubscriber(tb: TestBroker, clientId: string, topic: string): Promise<void> {
  const c = await mqtt.connectAsync(tb.url, {
    clientId,
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 0,
  });
  await c.subscribeAsync(topic, { qos: 1 });
  await c.endAsync();
}

/** Publish `n` messages one after another; the reason code of each acknowledgement (0 = success). */
async function publishAll(c: MqttClient, topic: string, n: number, qos: 1 | 2): Promise<number[]> {
  const codes: number[] = [];
  for (let i = 0; i < n; i++) {
    const rc = await new Promise<number>((resolve) =>
      c.publish(topic, `m${i}`, { qos }, (err) => {
        resolve(err ? ((err as Error & { code?: number }).code ?? -1) : 0);
      }),
    );
    codes.push(rc);
  }
  return codes;
}

/** Reconnect the persistent subscriber and collect what it receives until `settle` ms of quiet. */
async function drain(tb: TestBroker, clientId: string, settle = 300): Promise<string[]> {
  const got: string[] = [];
  const c = mqtt.connect(tb.url, { clientId, protocolVersion: 5, clean: false, reconnectPeriod: 0 });
  let last = Date.now();
  c.on('message', (_t, payload) => {
    got.push(payload.toString());
    last = Date.now();
  });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  while (Date.now() - last < settle) await new Promise((r) => setTimeout(r, 50));
  await c.endAsync();
  return got;
}

describe('queue bound: refuse before acknowledging (MQTT 5 0x97 Quota exceeded)', () => {
  for (const qos of [1, 2] as const) {
    test(`QoS ${qos}: an offline subscriber's full queue refuses the publisher; everything acknowledged arrives`, async (t) => {
      const tb = await startTestBroker({ limits: { maxQueued: MAX_QUEUED } });
      t.after(() => tb.close());
      await offlineSubscriber(tb, 'sub', 'q/t');
      const pub = await mqtt.connectAsync(tb.url, {
        clientId: 'pub',
        protocolVersion: 5,
        reconnectPeriod: 0,
      });
      const codes = await publishAll(pub, 'q/t', MAX_QUEUED + 2, qos);
      await pub.endAsync();
      assert.deepEqual(codes, [0, 0, 0, 0x97, 0x97]);
      const got = await drain(tb, 'sub');
      const acked = codes.flatMap((rc, i) => (rc === 0 ? [`m${i}`] : []));
      assert.deepEqual(got, acked);
      assert.equal(tb.broker.stats().publishDropped, 2);
    });
  }

  test('QoS 2: a refused id is released (the client may reuse it at once)', async (t) => {
    const tb = await startTestBroker({ limits: { maxQueued: 1 } });
    t.after(() => tb.close());
    await offlineSubscriber(tb, 'sub', 'q/t');
    const pub = await mqtt.connectAsync(tb.url, { clientId: 'pub', protocolVersion: 5, reconnectPeriod: 0 });
    assert.deepEqual(await publishAll(pub, 'q/t', 3, 2), [0, 0x97, 0x97]);
    // With the subscriber's queue drained, the next QoS 2 messages go through.
    assert.deepEqual(await drain(tb, 'sub'), ['m0']);
    assert.deepEqual(await publishAll(pub, 'q/t', 1, 2), [0]);
    await pub.endAsync();
  });

  test('MQTT 3.1.1 publishers are acknowledged as Mosquitto does (no negative PUBACK); the drop is counted', async (t) => {
    const tb = await startTestBroker({ limits: { maxQueued: MAX_QUEUED } });
    t.after(() => tb.close());
    await offlineSubscriber(tb, 'sub', 'q/t');
    const pub = await mqtt.connectAsync(tb.url, { clientId: 'pub', protocolVersion: 4, reconnectPeriod: 0 });
    assert.deepEqual(await publishAll(pub, 'q/t', MAX_QUEUED + 1, 1), [0, 0, 0, 0]);
    await pub.endAsync();
    assert.equal(tb.broker.stats().publishDropped, 1);
    assert.deepEqual(await drain(tb, 'sub'), ['m0', 'm1', 'm2']);
  });
});
