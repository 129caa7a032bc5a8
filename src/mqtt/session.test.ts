// Sessions: persistence of state across disconnects and broker restarts, redelivery, expiry, wills.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { IDisconnectPacket, IPublishPacket, Packet } from 'mqtt-packet';
import { ManualClock } from '../core/index.js';
import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { MemoryPersistence, type PersistOp } from './persistence.js';
import { RawClient, startTestBroker } from './test-helpers.js';

const pub = (p: Packet): IPublishPacket => p as IPublishPacket;
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 15));
const publishes = (c: RawClient): IPublishPacket[] => c.packets.filter((p) => p.cmd === 'publish').map(pub);
type TB = Awaited<ReturnType<typeof startTestBroker>>;

async function persistentSubscriber(tb: TB, id: string, version: 4 | 5, filter = 's/#'): Promise<RawClient> {
  const c = new RawClient(tb.broker, version);
  await c.connect(
    id,
    version === 5 ? { clean: false, properties: { sessionExpiryInterval: 3600 } } : { clean: false },
  );
  c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 2 }] });
  await c.next('suback');
  return c;
}

async function reconnect(tb: TB, id: string, version: 4 | 5): Promise<RawClient> {
  const c = new RawClient(tb.broker, version);
  const ack = await c.connect(
    id,
    version === 5 ? { clean: false, properties: { sessionExpiryInterval: 3600 } } : { clean: false },
  );
  assert.equal((ack as { sessionPresent: boolean }).sessionPresent, true);
  return c;
}

describe('sessions', () => {
  for (const version of [4, 5] as const) {
    test(`v${version}: persistent session queues QoS 1/2 while offline (QoS 0 not kept) and delivers on reconnect`, async (t) => {
      const tb = await startTestBroker({ listen: false });
      t.after(() => tb.close());
      const c = await persistentSubscriber(tb, 'ps', version);
      c.end();
      await settle();
      await tb.broker.publish({ topic: 's/0', payload: 'q0', qos: 0 });
      await tb.broker.publish({ topic: 's/1', payload: 'q1', qos: 1 });
      await tb.broker.publish({ topic: 's/2', payload: 'q2', qos: 2 });
      const again = await reconnect(tb, 'ps', version);
      await settle();
      assert.deepEqual(
        publishes(again).map((p) => `${p.topic}:${p.qos}`),
        ['s/1:1', 's/2:2'],
      );
    });
  }

  test('[MQTT-4.4.0-1] unacknowledged PUBLISH resent with DUP, PUBREL resent, on reconnect', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const c = await persistentSubscriber(tb, 'dup', 4);
    await tb.broker.publish({ topic: 's/a', payload: 'a', qos: 1 });
    await tb.broker.publish({ topic: 's/b', payload: 'b', qos: 2 });
    const a = pub(await c.next('publish'));
    const b = pub(await c.next('publish'));
    c.send({ cmd: 'pubrec', messageId: b.messageId! });
    await c.next('pubrel');
    c.end();
    await settle();
    const again = await reconnect(tb, 'dup', 4);
    const ra = pub(await again.next('publish'));
    assert.equal(ra.dup, true);
    assert.equal(ra.messageId, a.messageId);
    assert.equal((await again.next('pubrel')).messageId, b.messageId);
    again.send({ cmd: 'puback', messageId: a.messageId! });
    again.send({ cmd: 'pubcomp', messageId: b.messageId! });
    await settle();
    assert.equal(tb.broker.stats().inflightCount, 0);
  });

  test('MQTT 5 session expiry: the session ends after the interval (ManualClock)', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ listen: false, clock });
    t.after(() => tb.close());
    const c = new RawClient(tb.broker, 5);
    await c.connect('se', { clean: false, properties: { sessionExpiryInterval: 60 } });
    c.end();
    await settle();
    clock.advance(59_000);
    assert.equal(tb.broker.stats().clientsTotal, 1);
    clock.advance(2_000);
    assert.equal(tb.broker.stats().clientsTotal, 0);
    const again = new RawClient(tb.broker, 5);
    assert.equal(
      ((await again.connect('se', { clean: false })) as { sessionPresent: boolean }).sessionPresent,
      false,
    );
  });

  test('[MQTT-3.14.2-2] DISCONNECT setting session expiry on a zero-expiry session is a protocol error', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const reasons: string[] = [];
    tb.broker.setHooks({ onDisconnect: (_c, r) => reasons.push(r) });
    const c = new RawClient(tb.broker, 5);
    await c.connect('z');
    c.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 100 } });
    assert.equal(((await c.next('disconnect')) as IDisconnectPacket).reasonCode, 0x82);
    assert.deepEqual(reasons, ['protocol_error']);
  });

  test('wills: sent on abnormal close, not on DISCONNECT 0x00, sent on MQTT 5 DISCONNECT 0x04', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const got: string[] = [];
    tb.broker.subscribe('will/#', (m) => void got.push(`${m.topic}:${m.clientId}`));
    const will = (topic: string) => ({
      will: { topic, payload: Buffer.from('gone'), qos: 1 as const, retain: false },
    });
    const a = new RawClient(tb.broker, 4);
    await a.connect('a', will('will/a'));
    a.end();
    const b = new RawClient(tb.broker, 4);
    await b.connect('b', will('will/b'));
    b.send({ cmd: 'disconnect' });
    const c = new RawClient(tb.broker, 5);
    await c.connect('c', will('will/c'));
    c.send({ cmd: 'disconnect', reasonCode: 0x04 });
    await settle();
    assert.deepEqual(got.sort(), ['will/a:a', 'will/c:c']);
  });

  test('MQTT 5 will delay: sent after the delay, not sent when the client returns in time', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ listen: false, clock });
    t.after(() => tb.close());
    const got: string[] = [];
    tb.broker.subscribe('will/#', (m) => void got.push(m.topic));
    const connect = (c: RawClient, id: string, willDelayInterval: number, sessionExpiryInterval: number) =>
      c.connect(id, {
        clean: false,
        properties: { sessionExpiryInterval },
        will: {
          topic: `will/${id}`,
          payload: Buffer.from('x'),
          qos: 0,
          retain: false,
          properties: { willDelayInterval },
        },
      });
    const late = new RawClient(tb.broker, 5);
    await connect(late, 'late', 30, 3600);
    const back = new RawClient(tb.broker, 5);
    await connect(back, 'back', 30, 3600);
    const expiring = new RawClient(tb.broker, 5);
    await connect(expiring, 'expiring', 300, 10); // the session ends first: will at 10 s
    late.end();
    back.end();
    expiring.end();
    await settle();
    clock.advance(11_000);
    assert.deepEqual(got, ['will/expiring']);
    const again = new RawClient(tb.broker, 5);
    await again.connect('back', { clean: false, properties: { sessionExpiryInterval: 3600 } });
    clock.advance(30_000);
    assert.deepEqual(got, ['will/expiring', 'will/late']);
  });

  test('persistent state survives a broker restart on the same SQLite file', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tsunagu-mqtt-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'db.sqlite');
    const db1 = openSqlite(file);
    const tb1 = await startTestBroker({ listen: false, db: db1 });
    const c = await persistentSubscriber(tb1, 'restart', 5);
    c.end();
    await settle();
    for (let i = 0; i < 5; i++) await tb1.broker.publish({ topic: `s/${i}`, payload: String(i), qos: 1 });
    await tb1.broker.publish({ topic: 'keep/me', payload: 'retained', qos: 0, retain: true });
    await tb1.close();
    await db1.close();

    const db2 = openSqlite(file);
    const tb2 = await startTestBroker({ listen: false, db: db2 });
    t.after(async () => {
      await tb2.close();
      await db2.close();
    });
    assert.equal(tb2.broker.stats().retainedCount, 1);
    const again = await reconnect(tb2, 'restart', 5);
    await settle();
    assert.deepEqual(
      publishes(again).map((p) => p.payload.toString()),
      ['0', '1', '2', '3', '4'],
    );
  });

  test('persistent state survives a broker restart on the same PostgreSQL schema', async (t) => {
    if (!(await requirePostgres(t))) return;
    const db = await freshPgSchema('mqttbroker');
    t.after(() => db.drop());
    const tb1 = await startTestBroker({ listen: false, db });
    const c = await persistentSubscriber(tb1, 'pg-restart', 4);
    c.end();
    await settle();
    for (let i = 0; i < 3; i++) await tb1.broker.publish({ topic: `s/${i}`, payload: String(i), qos: 1 });
    await tb1.broker.publish({ topic: 'keep/pg', payload: 'retained', qos: 1, retain: true });
    await tb1.close();
    const tb2 = await startTestBroker({ listen: false, db });
    t.after(() => tb2.close());
    assert.equal(tb2.broker.stats().retainedCount, 1);
    const again = await reconnect(tb2, 'pg-restart', 4);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(pub(await again.next('publish')).payload.toString());
    assert.deepEqual(got, ['0', '1', '2']);
  });

  test('group commit: the PUBACK waits until the batch holding the message is persisted', async (t) => {
    const store = new MemoryPersistence();
    const batches: number[] = [];
    let release: (() => void) | undefined;
    const apply = store.apply.bind(store);
    store.apply = async (ops: readonly PersistOp[]) => {
      batches.push(ops.length);
      if (ops.some((o) => o.op === 'msg.put')) await new Promise<void>((r) => (release = r));
      return apply(ops);
    };
    const tb = await startTestBroker({ listen: false, persistence: store });
    t.after(() => tb.close());
    const c = await persistentSubscriber(tb, 'gc', 4);
    c.end();
    await settle();
    const p = new RawClient(tb.broker, 4);
    await p.connect('publisher');
    for (let i = 1; i <= 3; i++)
      p.send({
        cmd: 'publish',
        topic: 's/x',
        payload: Buffer.from(String(i)),
        qos: 1,
        retain: false,
        dup: false,
        messageId: i,
      });
    await settle();
    assert.equal(p.packets.filter((x) => x.cmd === 'puback').length, 0, 'no PUBACK before the commit');
    release!();
    for (let i = 1; i <= 3; i++) assert.equal((await p.next('puback')).messageId, i);
    assert.equal(batches.at(-1), 3, 'the three messages went into one batch');
  });

  test('online clean sessions and QoS 0 traffic do not touch persistence', async (t) => {
    const store = new MemoryPersistence();
    let applied = 0;
    const apply = store.apply.bind(store);
    store.apply = (ops: readonly PersistOp[]) => {
      applied += ops.length;
      return apply(ops);
    };
    const tb = await startTestBroker({ listen: false, persistence: store });
    t.after(() => tb.close());
    const s = new RawClient(tb.broker, 4);
    await s.connect('clean');
    s.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'c/#', qos: 1 }] });
    await s.next('suback');
    const p = new RawClient(tb.broker, 4);
    await p.connect('cp');
    p.send({
      cmd: 'publish',
      topic: 'c/1',
      payload: Buffer.from('x'),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 1,
    });
    p.send({ cmd: 'publish', topic: 'c/0', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    await p.next('puback');
    await settle();
    assert.equal(applied, 0);
  });
});
