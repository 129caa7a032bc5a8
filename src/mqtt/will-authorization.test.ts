/**
 * Wills pass the same publish authorization as PUBLISH: at CONNECT and again when due; `$SYS/` is
 * the broker's alone, even with anonymous access. Issue 12.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { ManualClock } from '../core/index.js';
import { startTestBroker, type TestBroker } from './test-helpers.js';

function connect(tb: TestBroker, opts: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(tb.url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

describe('will authorization', () => {
  test('a will allowed at CONNECT but refused when due (ACL changed) is dropped and counted', async (t) => {
    const tb = await startTestBroker();
    t.after(() => tb.close());
    let allowed = true;
    tb.broker.setHooks({ authorizePublish: (_c, topic) => allowed || !topic.startsWith('locks/') });
    const got: string[] = [];
    tb.broker.subscribe('#', (m) => void got.push(m.topic));
    for (const protocolVersion of [4, 5] as const) {
      const c = await connect(tb, {
        clientId: `w${protocolVersion}`,
        protocolVersion,
        will: { topic: 'locks/1/unlock', payload: Buffer.from('x'), qos: 1, retain: true },
      });
      allowed = false;
      c.stream.destroy();
      await waitFor(
        () => tb.broker.stats().willsDenied === (protocolVersion === 4 ? 1 : 2),
        'the denied will',
      );
      allowed = true;
    }
    await tb.broker.publish({ topic: 'marker', payload: 'm' });
    assert.deepEqual(got, ['marker']);
    assert.equal(tb.broker.stats().retainedCount, 0);
  });

  test('a delayed will is authorized when its delay ends, not only at CONNECT', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ clock });
    t.after(() => tb.close());
    let allowed = true;
    tb.broker.setHooks({ authorizePublish: () => allowed });
    const got: string[] = [];
    tb.broker.subscribe('#', (m) => void got.push(m.topic));
    const c = await connect(tb, {
      clientId: 'delayed',
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 60 },
      will: {
        topic: 'locks/2',
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 5 },
      },
    });
    c.stream.destroy();
    await waitFor(() => !tb.broker.isConnected('delayed'), 'the disconnect');
    allowed = false;
    clock.advance(6000);
    await waitFor(() => tb.broker.stats().willsDenied === 1, 'the denied will');
    assert.deepEqual(got, []);
  });

  test('an async authorizePublish hook refusing the will topic refuses CONNECT (0x87; 3.1.1 rc 5)', async (t) => {
    const tb = await startTestBroker();
    t.after(() => tb.close());
    tb.broker.setHooks({ authorizePublish: (_c, topic) => Promise.resolve(topic !== 'forbidden') });
    const will = { topic: 'forbidden', payload: Buffer.from('x'), qos: 0 as const, retain: false };
    await assert.rejects(
      connect(tb, { clientId: 'a5', protocolVersion: 5, will }),
      (e: { code?: number }) => e.code === 0x87,
    );
    await assert.rejects(
      connect(tb, { clientId: 'a4', protocolVersion: 4, will }),
      (e: { code?: number }) => e.code === 5,
    );
    const ok = await connect(tb, { clientId: 'a5', protocolVersion: 5, will: { ...will, topic: 'fine' } });
    // The connection works after the async step (packets that arrived meanwhile are processed).
    await ok.publishAsync('fine', 'x', { qos: 1 });
    ok.end(true);
  });
});

describe("$SYS is the broker's, even with anonymous access", () => {
  test('PUBLISH, retained PUBLISH and wills under $SYS/ are refused; the broker still publishes there', async (t) => {
    const tb = await startTestBroker({ allowAnonymous: true });
    t.after(() => tb.close());
    const got: string[] = [];
    tb.broker.subscribe('$SYS/#', (m) => void got.push(`${m.topic}=${m.payload.toString()}`));
    const c5 = await connect(tb, { clientId: 'p5', protocolVersion: 5 });
    await assert.rejects(
      c5.publishAsync('$SYS/broker/clients/connected', '999', { qos: 1, retain: true }),
      (e: { code?: number }) => e.code === 0x87,
    );
    await c5.publishAsync('$SYS/broker/version', 'fake', { qos: 0, retain: true });
    const c4 = await connect(tb, { clientId: 'p4', protocolVersion: 4 });
    await c4.publishAsync('$SYS/broker/uptime', 'fake', { qos: 2, retain: true }); // 3.1.1: acked, dropped
    const will = {
      topic: '$SYS/broker/clients/connected',
      payload: Buffer.from('1'),
      qos: 1 as const,
      retain: true,
    };
    await assert.rejects(
      connect(tb, { clientId: 'w5', protocolVersion: 5, will }),
      (e: { code?: number }) => e.code === 0x87,
    );
    await assert.rejects(
      connect(tb, { clientId: 'w4', protocolVersion: 4, will }),
      (e: { code?: number }) => e.code === 5,
    );
    await c5.publishAsync('ok', 'x', { qos: 1 }); // everything before was handled
    assert.deepEqual(got, []);
    assert.equal(tb.broker.stats().retainedCount, 0);
    await tb.broker.publish({ topic: '$SYS/broker/test', payload: 'platform' });
    assert.deepEqual(got, ['$SYS/broker/test=platform']);
    c5.end(true);
    c4.end(true);
  });
});
