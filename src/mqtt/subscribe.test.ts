// Subscriptions: wildcards, $-topics, shared subscriptions, overlapping subscriptions, options,
// retained messages, limits and authorization.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';
import { RawClient, startTestBroker } from './test-helpers.js';

const pub = (p: Packet): IPublishPacket => p as IPublishPacket;
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 15));
const publishes = (c: RawClient): IPublishPacket[] => c.packets.filter((p) => p.cmd === 'publish').map(pub);

async function client(
  tb: Awaited<ReturnType<typeof startTestBroker>>,
  id: string,
  version: 4 | 5 = 5,
): Promise<RawClient> {
  const c = new RawClient(tb.broker, version);
  await c.connect(id);
  return c;
}

async function suback(
  c: RawClient,
  subscriptions: { topic: string; qos: 0 | 1 | 2; nl?: boolean; rap?: boolean; rh?: number }[],
  subscriptionIdentifier?: number,
): Promise<number[]> {
  c.send({
    cmd: 'subscribe',
    messageId: 1,
    subscriptions,
    ...(subscriptionIdentifier ? { properties: { subscriptionIdentifier } } : {}),
  });
  return ((await c.next('suback')) as ISubackPacket).granted as number[];
}

describe('SUBSCRIBE', () => {
  test('wildcards + and # match per [MQTT-4.7.1-2/3]; "a/#" also matches "a"', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const c = await client(tb, 'w');
    await suback(c, [
      { topic: 'a/+/c', qos: 0 },
      { topic: 'x/#', qos: 0 },
    ]);
    for (const topic of ['a/b/c', 'a/b/d', 'a/b/c/d', 'x', 'x/y/z', 'y/x'])
      await tb.broker.publish({ topic, payload: topic });
    await settle();
    assert.deepEqual(
      publishes(c).map((p) => p.topic),
      ['a/b/c', 'x', 'x/y/z'],
    );
  });

  test('[MQTT-4.7.2-1] # and + at the first level do not match $-topics', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const c = await client(tb, 'd');
    await suback(c, [
      { topic: '#', qos: 0 },
      { topic: '+/info', qos: 0 },
    ]);
    await tb.broker.publish({ topic: '$SYS/info', payload: 'x' });
    await tb.broker.publish({ topic: 'plain/info', payload: 'y' });
    const explicit = await client(tb, 'e');
    await suback(explicit, [{ topic: '$SYS/#', qos: 0 }]);
    await tb.broker.publish({ topic: '$SYS/info', payload: 'z' });
    await settle();
    assert.deepEqual(
      publishes(c).map((p) => p.topic),
      ['plain/info'],
    );
    assert.deepEqual(
      publishes(explicit).map((p) => p.topic),
      ['$SYS/info'],
    );
  });

  test('invalid filters: SUBACK 0x8F (MQTT 5) / 0x80 (3.1.1) [MQTT-4.7.1-2]', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const c5 = await client(tb, 'i5', 5);
    assert.deepEqual(
      await suback(c5, [
        { topic: 'a/#/b', qos: 0 },
        { topic: 'a+', qos: 1 },
        { topic: 'ok/+', qos: 1 },
      ]),
      [0x8f, 0x8f, 1],
    );
    const c4 = await client(tb, 'i4', 4);
    assert.deepEqual(
      await suback(c4, [
        { topic: 'a/#/b', qos: 0 },
        { topic: 'ok', qos: 2 },
      ]),
      [0x80, 2],
    );
  });

  test('subscription quota: SUBACK 0x97 (limits.maxSubscriptionsPerClient); filter too deep 0x8F', async (t) => {
    const tb = await startTestBroker({
      listen: false,
      limits: { maxSubscriptionsPerClient: 2, maxTopicLevels: 3 },
    });
    t.after(() => tb.close());
    const c = await client(tb, 'quota');
    assert.deepEqual(
      await suback(c, [
        { topic: 'a', qos: 0 },
        { topic: 'b', qos: 0 },
        { topic: 'c', qos: 0 },
        { topic: 'a', qos: 1 },
      ]),
      [0, 0, 0x97, 1],
    );
    assert.deepEqual(await suback(c, [{ topic: 'a/b/c/d', qos: 0 }]), [0x8f]);
  });

  test('authorizeSubscribe deny: 0x87 (MQTT 5) / 0x80 (3.1.1)', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    tb.broker.setHooks({ authorizeSubscribe: (_c, f) => !f.startsWith('private') });
    assert.deepEqual(
      await suback(await client(tb, 'a5', 5), [
        { topic: 'private/#', qos: 0 },
        { topic: 'public', qos: 0 },
      ]),
      [0x87, 0],
    );
    assert.deepEqual(await suback(await client(tb, 'a4', 4), [{ topic: 'private/#', qos: 0 }]), [0x80]);
  });

  test('UNSUBSCRIBE stops delivery; MQTT 5 UNSUBACK 0x11 for an unknown filter', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const c = await client(tb, 'u');
    await suback(c, [{ topic: 'u/+', qos: 0 }]);
    c.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['u/+', 'never'] });
    assert.deepEqual(((await c.next('unsuback')) as { granted: number[] }).granted, [0, 0x11]);
    await tb.broker.publish({ topic: 'u/1', payload: 'x' });
    await settle();
    assert.equal(publishes(c).length, 0);
  });

  test('overlapping subscriptions: one copy at the highest QoS with every subscription identifier', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const c = await client(tb, 'o');
    await suback(c, [{ topic: 'o/#', qos: 0 }], 1);
    await suback(c, [{ topic: 'o/+', qos: 2 }], 2);
    await tb.broker.publish({ topic: 'o/x', payload: 'x', qos: 1 });
    await settle();
    const got = publishes(c);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.qos, 1);
    assert.deepEqual([got[0]!.properties?.subscriptionIdentifier].flat().sort(), [1, 2]);
    const c4 = await client(tb, 'o4', 4);
    await suback(c4, [
      { topic: 'o/#', qos: 0 },
      { topic: 'o/x', qos: 1 },
    ]);
    await tb.broker.publish({ topic: 'o/x', payload: 'x', qos: 1 });
    await settle();
    assert.deepEqual(
      publishes(c4).map((p) => p.qos),
      [1],
    );
  });

  test('shared subscriptions $share/{group}/{filter}: round robin within a group, every group gets one', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const a = await client(tb, 'sa');
    const b = await client(tb, 'sb');
    const other = await client(tb, 'sc');
    await suback(a, [{ topic: '$share/g/jobs/+', qos: 0 }]);
    await suback(b, [{ topic: '$share/g/jobs/+', qos: 0 }]);
    await suback(other, [{ topic: '$share/h/jobs/+', qos: 0 }]);
    for (let i = 0; i < 6; i++) await tb.broker.publish({ topic: `jobs/${i}`, payload: String(i) });
    await settle();
    assert.equal(publishes(a).length, 3);
    assert.equal(publishes(b).length, 3);
    assert.equal(publishes(other).length, 6);
  });

  test('no local, retain as published and retain handling 0/1/2', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const c = await client(tb, 'opts');
    await suback(c, [
      { topic: 'nl/#', qos: 0, nl: true },
      { topic: 'rap/#', qos: 0, rap: true },
      { topic: 'norap/#', qos: 0 },
    ]);
    c.send({
      cmd: 'publish',
      topic: 'nl/self',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
    });
    await tb.broker.publish({ topic: 'rap/1', payload: 'r', retain: true });
    await tb.broker.publish({ topic: 'norap/1', payload: 'r', retain: true });
    await settle();
    assert.deepEqual(
      publishes(c).map((p) => `${p.topic}:${p.retain}`),
      ['rap/1:true', 'norap/1:false'],
    );

    c.packets.length = 0;
    await suback(c, [{ topic: 'rap/#', qos: 0, rh: 1 }]); // exists already: rh 1 sends nothing
    await suback(c, [{ topic: 'norap/+', qos: 0, rh: 2 }]); // rh 2: never
    await suback(c, [{ topic: 'rap/+', qos: 0, rh: 1 }]); // new: sent
    await suback(c, [{ topic: 'norap/#', qos: 0, rh: 0 }]); // rh 0: always
    await settle();
    assert.deepEqual(
      publishes(c).map((p) => `${p.topic}:${p.retain}`),
      ['rap/1:true', 'norap/1:true'],
    );
  });

  test('retained: sent on subscribe with RETAIN set [MQTT-3.3.1-8]; empty payload deletes [MQTT-3.3.1-10/11]', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const p = await client(tb, 'rp', 4);
    p.send({
      cmd: 'publish',
      topic: 'r/1',
      payload: Buffer.from('v1'),
      qos: 1,
      retain: true,
      dup: false,
      messageId: 1,
    });
    await p.next('puback');
    const c = await client(tb, 'rc', 4);
    await suback(c, [{ topic: 'r/#', qos: 1 }]);
    const m = pub(await c.next('publish'));
    assert.equal(m.retain, true);
    assert.equal(m.payload.toString(), 'v1');
    assert.equal(tb.broker.stats().retainedCount, 1);
    p.send({ cmd: 'publish', topic: 'r/1', payload: Buffer.alloc(0), qos: 0, retain: true, dup: false });
    await settle();
    assert.equal(tb.broker.stats().retainedCount, 0);
    const late = await client(tb, 'late', 4);
    await suback(late, [{ topic: 'r/#', qos: 0 }]);
    await settle();
    assert.equal(publishes(late).length, 0);
  });
});
