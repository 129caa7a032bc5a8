// Connection limits, $SYS statistics and slow subscribers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Duplex } from 'node:stream';
import type { IConnackPacket } from 'mqtt-packet';
import { generate } from 'mqtt-packet';
import { ManualClock } from '../core/index.js';
import { STALL_MS } from './broker.js';
import { RawClient, startTestBroker } from './test-helpers.js';

const connack = (p: unknown): IConnackPacket => p as IConnackPacket;

describe('limits', () => {
  test('maxConnections: CONNACK 0x97 (MQTT 5) / 0x03 server unavailable (3.1.1)', async (t) => {
    const tb = await startTestBroker({ listen: false, limits: { maxConnections: 1 } });
    t.after(() => tb.close());
    const first = new RawClient(tb.broker, 4);
    assert.equal(connack(await first.connect('one')).returnCode, 0);
    assert.equal(connack(await new RawClient(tb.broker, 5).connect('two')).reasonCode, 0x97);
    assert.equal(connack(await new RawClient(tb.broker, 4).connect('three')).returnCode, 0x03);
  });

  test('connect rate per IP: CONNACK 0x9F beyond limits.connectRatePerIp in one second', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ listen: false, clock, limits: { connectRatePerIp: 2 } });
    t.after(() => tb.close());
    const codes: number[] = [];
    for (let i = 0; i < 3; i++)
      codes.push(connack(await new RawClient(tb.broker, 5, '10.1.1.1').connect(`r${i}`)).reasonCode!);
    codes.push(connack(await new RawClient(tb.broker, 5, '10.9.9.9').connect('other')).reasonCode!);
    clock.advance(1000);
    codes.push(connack(await new RawClient(tb.broker, 5, '10.1.1.1').connect('later')).reasonCode!);
    assert.deepEqual(codes, [0, 0, 0x9f, 0, 0]);
  });

  test('$SYS/broker topics are published retained every interval with Mosquitto names', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ listen: false, clock, sysIntervalMs: 10_000 });
    t.after(() => tb.close());
    const c = new RawClient(tb.broker, 4);
    await c.connect('sys');
    clock.advance(10_000);
    c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$SYS/broker/#', qos: 0 }] });
    await c.next('suback');
    await new Promise((r) => setTimeout(r, 20));
    const got = new Map(
      c.packets.filter((p) => p.cmd === 'publish').map((p) => [p.topic, p.payload.toString()]),
    );
    assert.equal(got.get('$SYS/broker/clients/connected'), '1');
    assert.equal(got.get('$SYS/broker/uptime'), '10 seconds');
    for (const k of [
      'clients/total',
      'messages/received',
      'messages/sent',
      'bytes/received',
      'bytes/sent',
      'subscriptions/count',
      'retained messages/count',
      'version',
    ])
      assert.ok(got.has(`$SYS/broker/${k}`), k);
  });

  test('a subscriber whose socket does not drain holds publishers at most STALL_MS; its queue stays bounded', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ listen: false, clock, limits: { maxQueued: 50 } });
    t.after(() => tb.close());
    // A server-side stream whose writes never complete: write() returns false once full.
    const stuck = new Duplex({ highWaterMark: 1024, read() {}, write(_c, _e, _cb) {} });
    tb.broker.handleConnection(stuck, { remoteAddress: '10.2.2.2', transport: 'tcp' });
    stuck.push(
      generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: 'slow',
        clean: true,
        keepalive: 0,
      }),
    );
    stuck.push(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'load', qos: 0 }] }));
    const fast = new RawClient(tb.broker, 4);
    await fast.connect('fast');
    fast.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'load', qos: 0 }] });
    await fast.next('suback');
    const done: Promise<void>[] = [];
    let settled = 0;
    for (let i = 0; i < 500; i++) {
      // 5 MB in all; not awaited one by one: a full queue holds the publisher (flow control).
      done.push(
        tb.broker.publish({ topic: 'load', payload: Buffer.alloc(10_000) }).then(() => void settled++),
      );
      if (i % 10 === 9) await new Promise((r) => setImmediate(r)); // publishes arrive over many ticks
    }
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(fast.packets.filter((p) => p.cmd === 'publish').length, 500);
    // Held while the slow subscriber might still drain; never more than 2 × maxQueued queued.
    assert.ok(settled < 500);
    assert.ok(tb.broker.stats().queuedCount <= 100);
    // No progress for STALL_MS: the publisher goes on; drops are counted.
    clock.advance(STALL_MS + 1000);
    await Promise.all(done);
    assert.ok(tb.broker.stats().queuedCount <= 100);
    assert.ok(tb.broker.stats().publishDropped > 0);
  });
});
