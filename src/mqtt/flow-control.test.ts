// Flow control towards a subscriber whose queue is full: a QoS 1 message the broker acknowledged
// is never dropped for a subscriber that keeps acknowledging; a stalled one loses (counted) messages.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Duplex } from 'node:stream';
import { generate, parser as createParser, type Packet } from 'mqtt-packet';
import { ManualClock } from '../core/index.js';
import { STALL_MS } from './broker.js';
import { RawClient, startTestBroker } from './test-helpers.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** `n` QoS 1 PUBLISH packets in one buffer: the broker reads them as one socket burst. */
function burst(topic: string, n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++)
    parts.push(
      generate({
        cmd: 'publish',
        topic,
        payload: Buffer.from(String(i)),
        qos: 1,
        retain: false,
        dup: false,
        messageId: (i % 65535) + 1,
      }),
    );
  return Buffer.concat(parts);
}

/** Acknowledge every QoS 1 PUBLISH as soon as it arrives, recording the payloads in order. */
function autoAck(s: RawClient, got: string[]): void {
  const push = s.packets.push.bind(s.packets);
  s.packets.push = (...ps: Packet[]): number => {
    for (const p of ps)
      if (p.cmd === 'publish') {
        got.push(p.payload.toString());
        if (p.qos === 1) s.send({ cmd: 'puback', messageId: p.messageId! });
      }
    return push(...ps);
  };
}

async function until(cond: () => boolean, what: string, ticks = 20_000): Promise<void> {
  for (let i = 0; i < ticks && !cond(); i++) await tick();
  assert.ok(cond(), `timed out waiting for ${what}`);
}

describe('flow control (subscriber queue full)', () => {
  test('a subscriber that keeps acknowledging loses nothing from a burst larger than window + queue', async (t) => {
    // Before flow control the broker routed the whole burst at once: 10 in flight, 100 queued,
    // the other 390 messages dropped after being PUBACKed to the publisher.
    const tb = await startTestBroker({ listen: false, limits: { maxQueued: 100, maxInflight: 10 } });
    t.after(() => tb.close());
    const s = new RawClient(tb.broker, 4);
    await s.connect('sub');
    s.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'burst', qos: 1 }] });
    await s.next('suback');
    const got: string[] = [];
    autoAck(s, got);
    const p = new RawClient(tb.broker, 4);
    await p.connect('pub');
    const n = 500;
    p.sendRaw(burst('burst', n));
    await until(() => got.length >= n && p.packets.filter((x) => x.cmd === 'puback').length >= n, 'delivery');
    assert.equal(tb.broker.stats().publishDropped, 0);
    assert.deepEqual(
      got,
      Array.from({ length: n }, (_, i) => String(i)),
    );
    assert.equal(p.packets.filter((x) => x.cmd === 'puback').length, n);
    assert.ok(tb.broker.stats().queuedCount === 0);
  });

  test('the publisher is acknowledged only once the subscriber has room; a stalled subscriber releases it and drops are counted', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ listen: false, clock, limits: { maxQueued: 20, maxInflight: 5 } });
    t.after(() => tb.close());
    const s = new RawClient(tb.broker, 4);
    await s.connect('sub');
    s.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'burst', qos: 1 }] });
    await s.next('suback');
    const p = new RawClient(tb.broker, 4);
    await p.connect('pub');
    p.sendRaw(burst('burst', 40));
    for (let i = 0; i < 20; i++) await tick();
    // 5 in flight + 20 queued + 1 beyond the limit (held); the publisher is not read meanwhile.
    const acked = (): number => p.packets.filter((x) => x.cmd === 'puback').length;
    assert.equal(acked(), 25);
    assert.equal(tb.broker.stats().publishDropped, 0);
    // The subscriber acknowledges nothing: after STALL_MS the publisher goes on and the rest of
    // its burst is dropped for this subscriber, counted.
    clock.advance(STALL_MS + 2000);
    await until(() => acked() === 40, 'publisher released');
    assert.equal(tb.broker.stats().publishDropped, 40 - 26);
    // What was queued (including the held message) is still delivered in order.
    const got: string[] = [];
    autoAck(s, got);
    for (const x of s.packets.filter((y) => y.cmd === 'publish'))
      s.send({ cmd: 'puback', messageId: x.messageId! });
    await until(() => got.length === 21, 'queued delivery');
    assert.deepEqual(
      got,
      Array.from({ length: 21 }, (_, i) => String(i + 5)),
    );
  });

  test('QoS 0: a subscriber whose socket drains slowly receives a burst bigger than socket buffer + queue', async (t) => {
    const tb = await startTestBroker({ listen: false, limits: { maxQueued: 20 } });
    t.after(() => tb.close());
    // The subscriber's socket completes each write on the next turn of the event loop: the
    // broker's 1 MiB of unsent bytes fills up, then it drains.
    let received = 0;
    const parser = createParser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'publish') received++;
    });
    const slow = new Duplex({
      read() {},
      write(chunk: Buffer, _e, cb) {
        parser.parse(chunk);
        setImmediate(cb);
      },
    });
    tb.broker.handleConnection(slow, { remoteAddress: '10.3.3.3', transport: 'tcp' });
    slow.push(
      generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: 'slow',
        clean: true,
        keepalive: 0,
      }),
    );
    slow.push(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'big', qos: 0 }] }));
    await until(() => tb.broker.stats().subscriptionsCount === 1, 'subscription');
    const p = new RawClient(tb.broker, 4);
    await p.connect('pub');
    const n = 400; // 4 MB
    const one = generate({
      cmd: 'publish',
      topic: 'big',
      payload: Buffer.alloc(10_000),
      qos: 0,
      retain: false,
      dup: false,
    });
    p.sendRaw(Buffer.concat(Array.from({ length: n }, () => one)));
    await until(() => received >= n, 'delivery');
    assert.equal(received, n);
    assert.equal(tb.broker.stats().publishDropped, 0);
  });
});
