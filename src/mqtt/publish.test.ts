// PUBLISH flows: QoS 0/1/2 both directions, flow control, queues, expiry, aliases, authorization.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IDisconnectPacket, IPubackPacket, IPublishPacket, IPubrecPacket, Packet } from 'mqtt-packet';
import { ManualClock } from '../core/index.js';
import { STALL_MS } from './broker.js';
import { RawClient, startTestBroker } from './test-helpers.js';

const pub = (p: Packet): IPublishPacket => p as IPublishPacket;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function pair(
  tb: Awaited<ReturnType<typeof startTestBroker>>,
  version: 4 | 5,
  subOpts: { qos?: 0 | 1 | 2; filter?: string } = {},
): Promise<{ s: RawClient; p: RawClient }> {
  const s = new RawClient(tb.broker, version);
  await s.connect(`s${version}`);
  s.send({
    cmd: 'subscribe',
    messageId: 1,
    subscriptions: [{ topic: subOpts.filter ?? 't/#', qos: subOpts.qos ?? 2 }],
  });
  await s.next('suback');
  const p = new RawClient(tb.broker, version);
  await p.connect(`p${version}`);
  return { s, p };
}

describe('PUBLISH', () => {
  for (const version of [4, 5] as const) {
    test(`v${version}: QoS 0/1/2 in and out; delivered QoS is min(published, granted)`, async (t) => {
      const tb = await startTestBroker({ listen: false });
      t.after(() => tb.close());
      const { s, p } = await pair(tb, version, { qos: 1 });
      p.send({ cmd: 'publish', topic: 't/0', payload: Buffer.from('a'), qos: 0, retain: false, dup: false });
      p.send({
        cmd: 'publish',
        topic: 't/1',
        payload: Buffer.from('b'),
        qos: 1,
        retain: false,
        dup: false,
        messageId: 7,
      });
      assert.equal((await p.next('puback')).messageId, 7);
      p.send({
        cmd: 'publish',
        topic: 't/2',
        payload: Buffer.from('c'),
        qos: 2,
        retain: false,
        dup: false,
        messageId: 8,
      });
      assert.equal((await p.next('pubrec')).messageId, 8);
      p.send({ cmd: 'pubrel', messageId: 8 });
      assert.equal((await p.next('pubcomp')).messageId, 8);
      const m0 = pub(await s.next('publish', (x) => pub(x).topic === 't/0'));
      const m1 = pub(await s.next('publish', (x) => pub(x).topic === 't/1'));
      const m2 = pub(await s.next('publish', (x) => pub(x).topic === 't/2'));
      assert.deepEqual([m0.qos, m1.qos, m2.qos], [0, 1, 1]);
      assert.equal(m2.payload.toString(), 'c');
      assert.notEqual(m1.messageId, m2.messageId);
      s.send({ cmd: 'puback', messageId: m1.messageId! });
      s.send({ cmd: 'puback', messageId: m2.messageId! });
      await tick();
      assert.equal(tb.broker.stats().inflightCount, 0);
    });
  }

  test('QoS 2 to a subscriber: PUBLISH → PUBREC → PUBREL → PUBCOMP', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const { s } = await pair(tb, 5, { qos: 2 });
    await tb.broker.publish({ topic: 't/q2', payload: 'x', qos: 2 });
    const m = pub(await s.next('publish'));
    assert.equal(m.qos, 2);
    s.send({ cmd: 'pubrec', messageId: m.messageId! });
    assert.equal((await s.next('pubrel')).messageId, m.messageId);
    assert.equal(tb.broker.stats().inflightCount, 1);
    s.send({ cmd: 'pubcomp', messageId: m.messageId! });
    await tick();
    assert.equal(tb.broker.stats().inflightCount, 0);
  });

  test('[MQTT-4.3.3-9] duplicate QoS 2 PUBLISH before PUBREL is not delivered again', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const got: string[] = [];
    tb.broker.subscribe('t/#', (m) => void got.push(m.payload.toString()));
    const { p } = await pair(tb, 4);
    const publish: Packet = {
      cmd: 'publish',
      topic: 't/x',
      payload: Buffer.from('once'),
      qos: 2,
      retain: false,
      dup: false,
      messageId: 3,
    };
    p.send(publish);
    await p.next('pubrec');
    p.send({ ...publish, dup: true });
    await p.next('pubrec');
    p.send({ cmd: 'pubrel', messageId: 3 });
    await p.next('pubcomp');
    assert.deepEqual(got, ['once']);
    // After PUBREL the id is free again: a new message with id 3 is delivered.
    p.send({ ...publish, payload: Buffer.from('again') });
    await p.next('pubrec');
    assert.deepEqual(got, ['once', 'again']);
  });

  test('MQTT 5 Receive Maximum caps what the broker has in flight; limits.maxInflight too', async (t) => {
    const tb = await startTestBroker({ listen: false, limits: { maxInflight: 3 } });
    t.after(() => tb.close());
    const s = new RawClient(tb.broker, 5);
    await s.connect('rm', { properties: { receiveMaximum: 2 } });
    s.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'w', qos: 1 }] });
    await s.next('suback');
    for (let i = 0; i < 5; i++) await tb.broker.publish({ topic: 'w', payload: String(i), qos: 1 });
    await tick();
    const first = s.packets.filter((x) => x.cmd === 'publish').map((x) => pub(x));
    assert.equal(first.length, 2);
    assert.equal(tb.broker.stats().queuedCount, 3);
    s.send({ cmd: 'puback', messageId: first[0]!.messageId! });
    await tick();
    assert.equal(s.packets.filter((x) => x.cmd === 'publish').length, 3);
    // [MQTT-2.2.1-3] packet ids of messages in flight are never reused.
    const ids = s.packets.filter((x) => x.cmd === 'publish').map((x) => x.messageId);
    assert.equal(new Set(ids.slice(1)).size, 2);
  });

  test('queue per session is bounded: oldest QoS 0 dropped first, counted in publishDropped', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ listen: false, clock, limits: { maxQueued: 3, maxInflight: 1 } });
    t.after(() => tb.close());
    const s = new RawClient(tb.broker, 4);
    await s.connect('q');
    s.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q', qos: 1 }] });
    await s.next('suback');
    await tb.broker.publish({ topic: 'q', payload: 'inflight', qos: 1 }); // takes the window
    await tb.broker.publish({ topic: 'q', payload: 'a1', qos: 1 }); // queued
    await tb.broker.publish({ topic: 'q', payload: 'b0', qos: 0 }); // queued behind a1
    await tb.broker.publish({ topic: 'q', payload: 'c1', qos: 1 });
    // A subscriber that acknowledges nothing for longer than STALL_MS holds no publisher (see
    // flow-control.test.ts for one that is draining).
    clock.advance(STALL_MS + 1000);
    await tb.broker.publish({ topic: 'q', payload: 'd1', qos: 1 }); // full: drops b0
    await tb.broker.publish({ topic: 'q', payload: 'e1', qos: 1 }); // full, no QoS 0 left: dropped
    assert.equal(tb.broker.stats().publishDropped, 2);
    assert.equal(tb.broker.stats().queuedCount, 3);
    const first = pub(await s.next('publish'));
    for (const expected of ['a1', 'c1', 'd1']) {
      s.packets.length = 0;
      s.send({ cmd: 'puback', messageId: first.messageId as number });
      const next = pub(await s.next('publish'));
      assert.equal(next.payload.toString(), expected);
      first.messageId = next.messageId;
    }
  });

  test('MQTT 5 message expiry: expired queued messages are dropped, the rest carry the remaining interval', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ listen: false, clock });
    t.after(() => tb.close());
    const s = new RawClient(tb.broker, 5);
    await s.connect('exp', { clean: false, properties: { sessionExpiryInterval: 3600 } });
    s.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'e/#', qos: 1 }] });
    await s.next('suback');
    s.end();
    await s.waitClosed();
    await tick();
    await tb.broker.publish({
      topic: 'e/short',
      payload: 's',
      qos: 1,
      properties: { messageExpiryInterval: 5 },
    });
    await tb.broker.publish({
      topic: 'e/long',
      payload: 'l',
      qos: 1,
      properties: { messageExpiryInterval: 100 },
    });
    clock.advance(10_000);
    const again = new RawClient(tb.broker, 5);
    await again.connect('exp', { clean: false, properties: { sessionExpiryInterval: 3600 } });
    const m = pub(await again.next('publish'));
    assert.equal(m.topic, 'e/long');
    assert.equal(m.properties?.messageExpiryInterval, 90); // [MQTT-3.3.2-6]
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(again.packets.filter((x) => x.cmd === 'publish').length, 0);
  });

  test('MQTT 5 properties are forwarded unchanged (user properties, content type, response topic, correlation data)', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const { s, p } = await pair(tb, 5);
    const properties = {
      payloadFormatIndicator: true,
      contentType: 'application/json',
      responseTopic: 'reply/here',
      correlationData: Buffer.from('abc'),
      userProperties: { a: '1', b: ['x', 'y'] },
    };
    p.send({
      cmd: 'publish',
      topic: 't/p',
      payload: Buffer.from('{}'),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 1,
      properties,
    });
    const m = pub(await s.next('publish'));
    assert.equal(m.properties?.contentType, 'application/json');
    assert.equal(m.properties?.responseTopic, 'reply/here');
    assert.equal(m.properties?.payloadFormatIndicator, true);
    assert.deepEqual(m.properties?.correlationData, Buffer.from('abc'));
    assert.deepEqual({ ...m.properties?.userProperties }, { a: '1', b: ['x', 'y'] });
  });

  test('MQTT 5 topic alias from the client; alias above Topic Alias Maximum → DISCONNECT 0x94', async (t) => {
    const tb = await startTestBroker({ listen: false, limits: { topicAliasMaximum: 4 } });
    t.after(() => tb.close());
    const { s, p } = await pair(tb, 5);
    p.send({
      cmd: 'publish',
      topic: 't/alias',
      payload: Buffer.from('1'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 2 },
    });
    p.send({
      cmd: 'publish',
      topic: '',
      payload: Buffer.from('2'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 2 },
    });
    assert.equal(pub(await s.next('publish')).topic, 't/alias');
    const second = pub(await s.next('publish'));
    assert.equal(second.topic, 't/alias');
    assert.equal(second.payload.toString(), '2');
    p.send({
      cmd: 'publish',
      topic: 't/x',
      payload: Buffer.from('3'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 5 },
    });
    assert.equal(((await p.next('disconnect')) as IDisconnectPacket).reasonCode, 0x94);
  });

  test('authorizePublish deny: MQTT 5 PUBACK 0x87, 3.1.1 PUBACK and dropped', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    tb.broker.setHooks({ authorizePublish: async (_c, topic) => !topic.endsWith('secret') });
    const got: string[] = [];
    tb.broker.subscribe('t/#', (m) => void got.push(m.topic));
    for (const version of [4, 5] as const) {
      const p = new RawClient(tb.broker, version);
      await p.connect(`pub${version}`);
      p.send({
        cmd: 'publish',
        topic: 't/secret',
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        dup: false,
        messageId: 1,
      });
      p.send({
        cmd: 'publish',
        topic: 't/open',
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        dup: false,
        messageId: 2,
      });
      const a1 = (await p.next('puback')) as IPubackPacket;
      const a2 = (await p.next('puback')) as IPubackPacket;
      assert.equal(a1.messageId, 1, 'acks keep the order of the publishes [MQTT-4.6.0-2]');
      assert.equal(a1.reasonCode ?? 0, version === 5 ? 0x87 : 0);
      assert.equal(a2.reasonCode ?? 0, 0);
    }
    assert.deepEqual(got, ['t/open', 't/open']);
  });

  test('topic longer than limits.maxTopicLength: MQTT 5 PUBACK 0x90, 3.1.1 disconnected', async (t) => {
    const tb = await startTestBroker({ listen: false, limits: { maxTopicLength: 10, maxTopicLevels: 3 } });
    t.after(() => tb.close());
    const p5 = new RawClient(tb.broker, 5);
    await p5.connect('p5');
    p5.send({
      cmd: 'publish',
      topic: 'a/very/long/topic',
      payload: Buffer.from('x'),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 1,
    });
    assert.equal(((await p5.next('puback')) as IPubackPacket).reasonCode, 0x90);
    p5.send({
      cmd: 'publish',
      topic: 'a/b/c/d',
      payload: Buffer.from('x'),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 2,
    });
    assert.equal(((await p5.next('puback')) as IPubackPacket).reasonCode, 0x90);
    const p4 = new RawClient(tb.broker, 4);
    await p4.connect('p4');
    p4.send({
      cmd: 'publish',
      topic: 'a/very/long/topic',
      payload: Buffer.from('x'),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 1,
    });
    await p4.waitClosed();
  });

  test('maximum packet size: bigger from the client → 0x95; bigger than the client accepts → dropped for it', async (t) => {
    const tb = await startTestBroker({ listen: false, limits: { maxPacketSize: 200 } });
    t.after(() => tb.close());
    const small = new RawClient(tb.broker, 5);
    await small.connect('small', { properties: { maximumPacketSize: 64 } });
    small.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'big/#', qos: 0 }] });
    await small.next('suback');
    await tb.broker.publish({ topic: 'big/1', payload: Buffer.alloc(100), qos: 0 });
    await tb.broker.publish({ topic: 'big/2', payload: Buffer.alloc(10), qos: 0 });
    assert.equal(pub(await small.next('publish')).topic, 'big/2');
    assert.equal(tb.broker.stats().publishDropped, 1);
    const p = new RawClient(tb.broker, 5);
    await p.connect('sender');
    p.send({ cmd: 'publish', topic: 'big/3', payload: Buffer.alloc(500), qos: 0, retain: false, dup: false });
    assert.equal(((await p.next('disconnect')) as IDisconnectPacket).reasonCode, 0x95);
  });

  test('server-side subscribe: the handler promise delays the PUBACK', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    tb.broker.subscribe('slow/+', () => gate);
    const p = new RawClient(tb.broker, 4);
    await p.connect('p');
    p.send({
      cmd: 'publish',
      topic: 'slow/1',
      payload: Buffer.from('x'),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 9,
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(p.packets.filter((x) => x.cmd === 'puback').length, 0);
    release();
    assert.equal(((await p.next('puback')) as IPubrecPacket).messageId, 9);
  });
});
