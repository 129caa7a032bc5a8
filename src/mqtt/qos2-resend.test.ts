// A QoS 2 PUBLISH whose PUBREC was never sent (the connection closed while it waited) and its
// resend: recognised, not delivered twice, acknowledged once the first attempt's work settled.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Packet } from 'mqtt-packet';
import { Qos2Resends } from './qos2-resend.js';
import { RawClient, startTestBroker } from './test-helpers.js';
import type { Message } from './types.js';

const msg = (id: string, payload: string, topic = 't/1'): Message => ({
  topic,
  payload: Buffer.from(payload),
  qos: 2,
  retain: false,
  properties: undefined,
  publisherId: 'p',
  expiresAt: undefined,
  id,
});

describe('Qos2Resends', () => {
  test('recognises the same client, packet id, topic and payload within the window, once', () => {
    let now = 1000;
    const r = new Qos2Resends(() => now, 60_000, 3);
    const a = r.nextId();
    assert.notEqual(a, r.nextId(), 'ids are unique');
    r.remember('p', [{ packetId: 7, msg: msg(a, 'x'), wait: undefined }]);
    assert.equal(r.take('q', 7, 't/1', Buffer.from('x')), undefined, 'another client');
    assert.equal(r.take('p', 8, 't/1', Buffer.from('x')), undefined, 'another packet id');
    assert.equal(r.take('p', 7, 't/1', Buffer.from('x'))?.id, a);
    assert.equal(r.take('p', 7, 't/1', Buffer.from('x')), undefined, 'consumed');

    r.remember('p', [{ packetId: 7, msg: msg(a, 'x'), wait: undefined }]);
    assert.equal(r.take('p', 7, 't/1', Buffer.from('other')), undefined, 'other payload: a new message');
    assert.equal(r.take('p', 7, 't/1', Buffer.from('x')), undefined, 'and the entry is gone');

    r.remember('p', [{ packetId: 7, msg: msg(a, 'x'), wait: undefined }]);
    now += 60_001;
    assert.equal(r.take('p', 7, 't/1', Buffer.from('x')), undefined, 'past the window');
  });

  test('a client’s entries move to the node it connects to, with the time they have left', () => {
    let now = 0;
    const here = new Qos2Resends(() => now, 60_000, 10);
    const there = new Qos2Resends(() => now, 60_000, 10);
    here.remember('p', [
      { packetId: 1, msg: msg('m1', 'x'), wait: undefined },
      { packetId: 2, msg: msg('m2', 'y'), wait: undefined },
    ]);
    here.remember('q', [{ packetId: 1, msg: msg('q1', 'x'), wait: undefined }]);
    now = 10_000;
    const handed = here.handOver('p');
    assert.deepEqual(
      handed.map(([id, mid, , left]) => [id, mid, left]),
      [
        [1, 'm1', 50_000],
        [2, 'm2', 50_000],
      ],
    );
    assert.equal(here.take('p', 1, 't/1', Buffer.from('x')), undefined, 'forgotten where it was');
    assert.equal(here.take('q', 1, 't/1', Buffer.from('x'))?.id, 'q1', 'other clients stay');
    there.accept('p', handed);
    assert.deepEqual(there.take('p', 2, 't/1', Buffer.from('y')), {
      id: 'm2',
      here: false,
      settled: undefined,
    });
    now = 60_001;
    assert.equal(there.take('p', 1, 't/1', Buffer.from('x')), undefined, 'the window does not restart');
  });

  test('keeps at most `max`, the oldest dropped first', () => {
    const r = new Qos2Resends(() => 0, 60_000, 2);
    for (const id of [1, 2, 3]) r.remember('p', [{ packetId: id, msg: msg(`m${id}`, 'x'), wait: undefined }]);
    assert.equal(r.size, 2);
    assert.equal(r.take('p', 1, 't/1', Buffer.from('x')), undefined);
    assert.equal(r.take('p', 3, 't/1', Buffer.from('x'))?.id, 'm3');
  });
});

const isPublish =
  (payload: string) =>
  (p: Packet): boolean =>
    p.cmd === 'publish' && p.payload.toString() === payload;
const publish = (messageId: number, payload: string): Packet => ({
  cmd: 'publish',
  topic: 't/1',
  payload: Buffer.from(payload),
  qos: 2,
  retain: false,
  dup: false,
  messageId,
});

describe('a QoS 2 PUBLISH resent after its connection closed without PUBREC', () => {
  for (const persistent of [false, true])
    test(`${persistent ? 'persistent' : 'clean'} publisher: delivered once, handler run once, PUBREC after the first attempt settled`, async (t) => {
      const tb = await startTestBroker({ listen: false });
      t.after(() => tb.close());
      // A server-side subscriber that holds the first attempt's PUBREC until released.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let calls = 0;
      tb.broker.subscribe('t/#', () => {
        calls++;
        return calls === 1 ? held : undefined;
      });
      const s = new RawClient(tb.broker, 5);
      await s.connect('sub');
      s.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 't/#', qos: 2 }] });
      await s.next('suback');
      const session = persistent
        ? { clean: false, properties: { sessionExpiryInterval: 600 } }
        : { clean: true };

      const first = new RawClient(tb.broker, 5);
      await first.connect('pub', session);
      first.send(publish(9, 'x'));
      await s.next('publish', isPublish('x'));
      first.end(); // the PUBREC never went out
      await first.waitClosed();

      const again = new RawClient(tb.broker, 5);
      await again.connect('pub', session);
      again.send(publish(9, 'x')); // mqtt.js resends with the same id (and no DUP flag)
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(
        again.packets.some((p) => p.cmd === 'pubrec'),
        false,
        'no PUBREC while the first attempt is still being handled',
      );
      release();
      assert.equal((await again.next('pubrec')).messageId, 9);
      again.send({ cmd: 'pubrel', messageId: 9 });
      await again.next('pubcomp');

      // The packet id is free again: a new message under it is delivered.
      again.send(publish(9, 'y'));
      await again.next('pubrec');
      await s.next('publish', isPublish('y'));
      assert.equal(s.packets.filter(isPublish('x')).length, 0, 'x delivered once');
      assert.equal(calls, 2, 'the handler ran for x once and for y once');
    });
});
