/**
 * The contract every BrokerPersistence implementation passes (persistence.test.ts runs it against
 * the in-memory and the SQLite implementation).
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { BrokerPersistence, StoredMessage } from './persistence.js';

const msg = (clientId: string, seq: number, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  clientId,
  seq,
  topic: `t/${seq}`,
  payload: Buffer.from(`p${seq}`),
  qos: 1,
  retain: false,
  properties: undefined,
  publisherId: 'pub',
  expiresAt: undefined,
  subIds: undefined,
  packetId: 0,
  state: 'queued',
  ...extra,
});

/** `make` returns undefined when its backend is unavailable (the test is then skipped by `make`). */
export function persistenceContract(
  name: string,
  make: (t: TestContext) => Promise<BrokerPersistence | undefined>,
): void {
  test(`${name}: sessions, subscriptions and messages round trip`, async (t) => {
    const p = await make(t);
    if (!p) return;
    await p.apply([
      {
        op: 'session.put',
        session: { clientId: 'a', expiryInterval: 60, disconnectedAt: null, protocolVersion: 5 },
      },
      { op: 'sub.put', sub: { clientId: 'a', raw: 'x/#', qos: 1, nl: true, rap: false, rh: 2, subId: 7 } },
      {
        op: 'sub.put',
        sub: { clientId: 'a', raw: 'y', qos: 0, nl: false, rap: true, rh: 0, subId: undefined },
      },
      { op: 'msg.put', msg: msg('a', 2) },
      {
        op: 'msg.put',
        msg: msg('a', 1, {
          qos: 2,
          properties: {
            contentType: 'c',
            correlationData: Buffer.from('k'),
            userProperties: { u: ['1', '2'] },
          },
          expiresAt: 123,
          subIds: [7, 8],
          retain: true,
        }),
      },
      { op: 'incoming.put', clientId: 'a', packetId: 42 },
    ]);
    const st = await p.load();
    assert.deepEqual(st.sessions, [
      { clientId: 'a', expiryInterval: 60, disconnectedAt: null, protocolVersion: 5 },
    ]);
    assert.deepEqual(
      st.subscriptions.sort((x, y) => x.raw.localeCompare(y.raw)),
      [
        { clientId: 'a', raw: 'x/#', qos: 1, nl: true, rap: false, rh: 2, subId: 7 },
        { clientId: 'a', raw: 'y', qos: 0, nl: false, rap: true, rh: 0, subId: undefined },
      ],
    );
    assert.deepEqual(
      st.messages.map((m) => m.seq),
      [1, 2],
      'messages come back ordered by seq',
    );
    const m1 = st.messages[0]!;
    assert.deepEqual(m1.payload, Buffer.from('p1'));
    assert.deepEqual(m1.properties?.correlationData, Buffer.from('k'));
    assert.deepEqual(m1.properties?.userProperties, { u: ['1', '2'] });
    assert.equal(m1.expiresAt, 123);
    assert.deepEqual(m1.subIds, [7, 8]);
    assert.equal(m1.retain, true);
    assert.deepEqual(st.incoming, [{ clientId: 'a', packetId: 42 }]);
  });

  test(`${name}: updates and deletes; session.delete removes everything of the client`, async (t) => {
    const p = await make(t);
    if (!p) return;
    await p.apply([
      {
        op: 'session.put',
        session: { clientId: 'a', expiryInterval: 60, disconnectedAt: 5, protocolVersion: 4 },
      },
      {
        op: 'session.put',
        session: { clientId: 'b', expiryInterval: 60, disconnectedAt: 5, protocolVersion: 4 },
      },
      {
        op: 'sub.put',
        sub: { clientId: 'a', raw: 'x', qos: 1, nl: false, rap: false, rh: 0, subId: undefined },
      },
      {
        op: 'sub.put',
        sub: { clientId: 'b', raw: 'x', qos: 1, nl: false, rap: false, rh: 0, subId: undefined },
      },
      { op: 'msg.put', msg: msg('a', 1) },
      { op: 'msg.put', msg: msg('b', 2) },
      { op: 'msg.put', msg: msg('b', 3) },
      { op: 'incoming.put', clientId: 'a', packetId: 1 },
    ]);
    await p.apply([
      { op: 'msg.update', clientId: 'b', seq: 2, packetId: 17, state: 'pubrel' },
      { op: 'msg.delete', clientId: 'b', seq: 3 },
      { op: 'sub.delete', clientId: 'b', raw: 'x' },
      { op: 'session.delete', clientId: 'a' },
    ]);
    const st = await p.load();
    assert.deepEqual(
      st.sessions.map((s) => s.clientId),
      ['b'],
    );
    assert.equal(st.subscriptions.length, 0);
    assert.deepEqual(
      st.messages.map((m) => [m.clientId, m.seq, m.packetId, m.state]),
      [['b', 2, 17, 'pubrel']],
    );
    assert.equal(st.incoming.length, 0);
  });

  test(`${name}: retained put replaces, delete removes`, async (t) => {
    const p = await make(t);
    if (!p) return;
    await p.apply([
      {
        op: 'retained.put',
        msg: { topic: 'r', payload: Buffer.from('1'), qos: 0, properties: undefined, expiresAt: undefined },
      },
      {
        op: 'retained.put',
        msg: {
          topic: 'r',
          payload: Buffer.from('2'),
          qos: 1,
          properties: { contentType: 'x' },
          expiresAt: 9,
        },
      },
      {
        op: 'retained.put',
        msg: { topic: 's', payload: Buffer.from('3'), qos: 0, properties: undefined, expiresAt: undefined },
      },
      { op: 'retained.delete', topic: 's' },
    ]);
    const st = await p.load();
    assert.equal(st.retained.length, 1);
    assert.deepEqual(st.retained[0], {
      topic: 'r',
      payload: Buffer.from('2'),
      qos: 1,
      properties: { contentType: 'x' },
      expiresAt: 9,
    });
  });

  test(`${name}: a batch is atomic`, async (t) => {
    const p = await make(t);
    if (!p) return;
    if (p.kind === 'memory') return; // the in-memory store cannot fail half way
    await assert.rejects(
      p.apply([
        {
          op: 'session.put',
          session: { clientId: 'z', expiryInterval: 1, disconnectedAt: null, protocolVersion: 4 },
        },
        // NOT NULL violation makes the batch fail after the first write.
        { op: 'msg.put', msg: { ...msg('z', 1), topic: null as unknown as string } },
      ]),
    );
    assert.equal((await p.load()).sessions.length, 0);
  });
}
