// Durability in process (issue 12): what is acknowledged or announced to a client is committed
// first; packet ids and wills survive a restart. kill.test.ts does the same through kill -9.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import { ManualClock } from '../core/index.js';
import { MemoryPersistence, type PersistOp } from './persistence.js';
import { RawClient, startTestBroker } from './test-helpers.js';

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 15));
type TB = Awaited<ReturnType<typeof startTestBroker>>;

/** A MemoryPersistence whose commits wait for `release()` while `hold` is true. */
function gatedStore(): {
  store: MemoryPersistence;
  release: () => Promise<void>;
  hold: (on: boolean) => void;
} {
  const store = new MemoryPersistence();
  const apply = store.apply.bind(store);
  let holding = false;
  let gates: (() => void)[] = [];
  store.apply = async (ops: readonly PersistOp[]) => {
    if (holding) await new Promise<void>((r) => gates.push(r));
    return apply(ops);
  };
  return {
    store,
    hold: (on) => (holding = on),
    /** Let the batch being written commit (waits until one is being written). */
    release: async () => {
      while (gates.length === 0) await new Promise((r) => setTimeout(r, 5));
      const g = gates;
      gates = [];
      for (const r of g) r();
    },
  };
}

const count = (c: RawClient, cmd: Packet['cmd']): number => c.packets.filter((p) => p.cmd === cmd).length;

async function qos2Subscriber(tb: TB, id: string): Promise<RawClient> {
  const c = new RawClient(tb.broker, 4);
  await c.connect(id, { clean: false });
  c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'd/#', qos: 2 }] });
  await c.next('suback');
  return c;
}

describe('durability: nothing is acknowledged or announced before it is committed', () => {
  test('CONNACK of a new persistent session, SUBACK, PUBLISH to it, PUBREL and PUBCOMP wait for the commit', async (t) => {
    const g = gatedStore();
    const tb = await startTestBroker({ listen: false, persistence: g.store });
    t.after(() => tb.close());
    g.hold(true);
    const sub = new RawClient(tb.broker, 4);
    const connack = sub.connect('gated', { clean: false });
    await settle();
    assert.equal(count(sub, 'connack'), 0, 'no CONNACK before the session is committed');
    await g.release();
    await connack;
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'd/#', qos: 2 }] });
    await settle();
    assert.equal(count(sub, 'suback'), 0, 'no SUBACK before the subscription is committed');
    await g.release();
    await sub.next('suback');

    const pub = new RawClient(tb.broker, 4);
    const pubAck = pub.connect('gated-pub', { clean: false });
    await settle();
    await g.release();
    await pubAck;
    pub.send({
      cmd: 'publish',
      topic: 'd/1',
      payload: Buffer.from('x'),
      qos: 2,
      retain: false,
      dup: false,
      messageId: 9,
    });
    await settle();
    assert.equal(count(pub, 'pubrec'), 0, 'no PUBREC before the message is committed');
    assert.equal(count(sub, 'publish'), 0, 'no PUBLISH (new packet id) before its state is committed');
    await g.release();
    await pub.next('pubrec');
    const p = (await sub.next('publish')) as IPublishPacket;
    sub.send({ cmd: 'pubrec', messageId: p.messageId! });
    await settle();
    assert.equal(count(sub, 'pubrel'), 0, "no PUBREL before the 'pubrel' state is committed");
    await g.release();
    await sub.next('pubrel');
    pub.send({ cmd: 'pubrel', messageId: 9 });
    await settle();
    assert.equal(count(pub, 'pubcomp'), 0, 'no PUBCOMP before the inbound id release is committed');
    await g.release();
    await pub.next('pubcomp');
    g.hold(false);
  });
});

describe('durability: packet ids after a restart', () => {
  test('unreleased ids are resent (DUP=1, PUBREL) and not reused; an inbound QoS 2 id is not delivered twice', async (t) => {
    const store = new MemoryPersistence();
    const tb1 = await startTestBroker({ listen: false, persistence: store });
    const sub = await qos2Subscriber(tb1, 'ids');
    const pub = new RawClient(tb1.broker, 4);
    await pub.connect('ids-pub', { clean: false });
    const send = (c: RawClient, id: number, payload: string, dup = false): void =>
      c.send({
        cmd: 'publish',
        topic: 'd/x',
        payload: Buffer.from(payload),
        qos: 2,
        retain: false,
        dup,
        messageId: id,
      });
    send(pub, 1, 'a');
    send(pub, 2, 'b');
    await pub.next('pubrec');
    await pub.next('pubrec');
    const a = (await sub.next('publish')) as IPublishPacket;
    const b = (await sub.next('publish')) as IPublishPacket;
    sub.send({ cmd: 'pubrec', messageId: a.messageId! }); // a: awaiting PUBCOMP; b: awaiting PUBREC
    await sub.next('pubrel');
    await tb1.broker.writer.flushed();
    t.after(() => tb1.close());
    // "Crash": a second broker on the same store, the first never closed.
    const tb2 = await startTestBroker({ listen: false, persistence: store });
    t.after(() => tb2.close());
    const sub2 = new RawClient(tb2.broker, 4);
    await sub2.connect('ids', { clean: false });
    const rel = await sub2.next('pubrel');
    const resent = (await sub2.next('publish')) as IPublishPacket;
    assert.equal(rel.messageId, a.messageId);
    assert.equal(resent.messageId, b.messageId);
    assert.equal(resent.dup, true, '[MQTT-4.4.0-1] resent with DUP=1');
    assert.equal(resent.payload.toString(), 'b');
    // The publisher resends PUBLISH 1 (its PUBREL was never sent): not delivered again.
    const pub2 = new RawClient(tb2.broker, 4);
    await pub2.connect('ids-pub', { clean: false });
    send(pub2, 1, 'a', true);
    await pub2.next('pubrec');
    send(pub2, 3, 'c');
    await pub2.next('pubrec');
    const c = (await sub2.next('publish')) as IPublishPacket;
    assert.equal(c.payload.toString(), 'c');
    assert.ok(![a.messageId, b.messageId].includes(c.messageId), `id ${c.messageId} is still unreleased`);
    await settle();
    assert.deepEqual(
      sub2.packets.filter((p) => p.cmd === 'publish').map((p) => p.payload.toString()),
      [],
      'message a was not delivered twice',
    );
  });
});

describe('durability: wills survive a stop or a crash', () => {
  const will = (id: string, delay = 0) => ({
    topic: `will/${id}`,
    payload: Buffer.from(id),
    qos: 1 as const,
    retain: false,
    properties: delay > 0 ? { willDelayInterval: delay } : {},
  });

  for (const how of ['stop', 'crash'] as const) {
    test(`${how}: wills are published after restart, delay counted from the restart, not when the client is back`, async (t) => {
      const store = new MemoryPersistence();
      const tb1 = await startTestBroker({ listen: false, persistence: store });
      const clean = new RawClient(tb1.broker, 5);
      await clean.connect('clean', { will: will('clean') });
      const persistent = { clean: false, properties: { sessionExpiryInterval: 3600 } };
      const late = new RawClient(tb1.broker, 5);
      await late.connect('late', { ...persistent, will: will('late', 30) });
      const back = new RawClient(tb1.broker, 5);
      await back.connect('back', { ...persistent, will: will('back', 30) });
      const quiet = new RawClient(tb1.broker, 5);
      await quiet.connect('quiet', { will: will('quiet') });
      quiet.send({ cmd: 'disconnect', reasonCode: 0 }); // discards its will [MQTT-3.14.4-3]
      await settle();
      if (how === 'stop') await tb1.close();
      else {
        await tb1.broker.writer.flushed();
        t.after(() => tb1.close()); // after the test: its close writes no longer matter
      }

      const clock = new ManualClock();
      const tb2 = await startTestBroker({ listen: false, persistence: store, clock });
      t.after(() => tb2.close());
      const got: string[] = [];
      tb2.broker.subscribe('will/#', (m) => void got.push(m.topic));
      tb2.broker.publishRestoredWills();
      assert.deepEqual(got, ['will/clean']);
      clock.advance(20_000);
      const again = new RawClient(tb2.broker, 5);
      await again.connect('back', persistent);
      clock.advance(11_000);
      assert.deepEqual(got, ['will/clean', 'will/late']);
      await tb2.broker.writer.flushed();
      assert.deepEqual(
        (await store.load()).wills.map((w) => w.clientId),
        [],
        'published or replaced wills leave no row behind',
      );
    });
  }

  test('a client that reconnects before the restored wills go out does not get its old will published', async (t) => {
    const store = new MemoryPersistence();
    const tb1 = await startTestBroker({ listen: false, persistence: store });
    const c = new RawClient(tb1.broker, 4);
    await c.connect('early', { will: will('early') });
    await tb1.broker.writer.flushed();
    t.after(() => tb1.close());
    const tb2 = await startTestBroker({ listen: false, persistence: store });
    t.after(() => tb2.close());
    const got: string[] = [];
    tb2.broker.subscribe('will/#', (m) => void got.push(m.topic));
    const again = new RawClient(tb2.broker, 4);
    await again.connect('early');
    tb2.broker.publishRestoredWills();
    await tb2.broker.writer.flushed();
    assert.deepEqual(got, []);
    assert.deepEqual((await store.load()).wills, []);
  });
});
