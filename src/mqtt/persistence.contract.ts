/**
 * The contract every BrokerPersistence implementation passes (persistence.test.ts runs it against
 * the in-memory, the SQLite and the PostgreSQL implementation).
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { DELIVERED_KEEP_MS } from './persistence.js';
import type { BrokerPersistence, PersistOp, StoredMessage, StoredWill } from './persistence.js';

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

const will = (clientId: string, extra: Partial<StoredWill> = {}): StoredWill => ({
  clientId,
  topic: `will/${clientId}`,
  payload: Buffer.from(`gone ${clientId}`),
  qos: 1,
  retain: false,
  properties: undefined,
  delay: 0,
  expiryInterval: undefined,
  disconnectedAt: null,
  info: undefined,
  ...extra,
});

const sortBy = <T>(xs: T[], key: (x: T) => string): T[] =>
  [...xs].sort((a, b) => key(a).localeCompare(key(b)));

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

  test(`${name}: an inbound QoS 2 id keeps the message id it was routed under`, async (t) => {
    const p = await make(t);
    if (!p) return;
    await p.apply([
      {
        op: 'session.put',
        session: { clientId: 'c', expiryInterval: 60, disconnectedAt: null, protocolVersion: 5 },
      },
      { op: 'incoming.put', clientId: 'c', packetId: 3, msgId: 'node1.a7' },
      { op: 'incoming.put', clientId: 'c', packetId: 4 },
    ]);
    const st = await p.load();
    assert.deepEqual(
      sortBy(st.incoming, (i) => String(i.packetId)),
      [
        { clientId: 'c', packetId: 3, msgId: 'node1.a7' },
        { clientId: 'c', packetId: 4 },
      ],
    );
    if (p.loadSession) {
      const one = await p.loadSession('c');
      assert.equal(one.incoming.find((i) => i.packetId === 3)?.msgId, 'node1.a7');
    }
    await p.apply([{ op: 'incoming.delete', clientId: 'c', packetId: 3 }]);
    assert.deepEqual(
      (await p.load()).incoming.map((i) => i.packetId),
      [4],
    );
  });

  test(`${name}: message ids delivered to a session round trip, are pruned by age and end with the session`, async (t) => {
    const p = await make(t);
    if (!p) return;
    const put = (clientId: string, msgId: string, at: number): PersistOp => ({
      op: 'delivered.put',
      delivered: { clientId, msgId, at },
    });
    const t0 = 1_700_000_000_000;
    await p.apply([
      {
        op: 'session.put',
        session: { clientId: 'd', expiryInterval: 60, disconnectedAt: null, protocolVersion: 5 },
      },
      put('d', 'n1.1', t0),
      put('d', 'n1.2', t0 + 1000),
      put('e', 'n1.1', t0),
      put('d', 'n1.1', t0 + 5), // already recorded: kept as it was
    ]);
    const key = (x: { clientId: string; msgId: string; at: number }): string =>
      `${x.clientId} ${x.msgId} ${x.at}`;
    assert.deepEqual((await p.load()).delivered.map(key).sort(), [
      'd n1.1 1700000000000',
      'd n1.2 1700000001000',
      'e n1.1 1700000000000',
    ]);
    if (p.loadSession)
      assert.deepEqual((await p.loadSession('d')).delivered.map(key).sort(), [
        'd n1.1 1700000000000',
        'd n1.2 1700000001000',
      ]);
    // A record written DELIVERED_KEEP_MS after d's first one prunes it (only d's).
    await p.apply([put('d', 'n2.1', t0 + DELIVERED_KEEP_MS + 1)]);
    assert.deepEqual((await p.load()).delivered.map(key).sort(), [
      'd n1.2 1700000001000',
      `d n2.1 ${t0 + DELIVERED_KEEP_MS + 1}`,
      'e n1.1 1700000000000',
    ]);
    await p.apply([{ op: 'session.delete', clientId: 'd' }]);
    assert.deepEqual((await p.load()).delivered.map(key), ['e n1.1 1700000000000']);
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

  test(`${name}: wills round trip, replace and delete`, async (t) => {
    const p = await make(t);
    if (!p) return;
    const info = {
      clientId: 'a',
      username: 'u',
      remoteAddress: '10.0.0.1',
      protocolVersion: 5 as const,
      keepalive: 30,
      cleanStart: false,
      transport: 'tcp' as const,
    };
    await p.apply([
      { op: 'will.put', will: will('a', { qos: 2, retain: true, delay: 30, expiryInterval: 60, info }) },
      { op: 'will.put', will: will('b') },
      {
        op: 'will.put',
        will: will('c', { properties: { contentType: 'x', correlationData: Buffer.from('k') } }),
      },
    ]);
    await p.apply([
      { op: 'will.put', will: will('b', { payload: Buffer.from('second'), disconnectedAt: 1234 }) },
      { op: 'will.delete', clientId: 'c' },
    ]);
    const st = await p.load();
    assert.deepEqual(
      sortBy(st.wills, (w) => w.clientId),
      [
        will('a', { qos: 2, retain: true, delay: 30, expiryInterval: 60, info }),
        will('b', { payload: Buffer.from('second'), disconnectedAt: 1234 }),
      ],
    );
  });

  test(`${name}: wills are independent of the session row`, async (t) => {
    const p = await make(t);
    if (!p) return;
    await p.apply([
      {
        op: 'session.put',
        session: { clientId: 'a', expiryInterval: 60, disconnectedAt: null, protocolVersion: 5 },
      },
      { op: 'will.put', will: will('a') },
      { op: 'session.delete', clientId: 'a' },
    ]);
    assert.deepEqual(
      (await p.load()).wills.map((w) => w.clientId),
      ['a'],
    );
  });

  test(`${name}: a batch has the effect of its operations applied in order`, async (t) => {
    const p = await make(t);
    if (!p) return;
    const session = (clientId: string, expiryInterval: number) => ({
      op: 'session.put' as const,
      session: { clientId, expiryInterval, disconnectedAt: null, protocolVersion: 4 as const },
    });
    const sub = (clientId: string, raw: string, qos: 0 | 1 | 2) => ({
      op: 'sub.put' as const,
      sub: { clientId, raw, qos, nl: false, rap: false, rh: 0, subId: undefined },
    });
    await p.apply([
      session('a', 10),
      session('b', 10),
      sub('a', 'old', 1),
      { op: 'msg.put', msg: msg('a', 1) },
      { op: 'msg.put', msg: msg('b', 9) },
      { op: 'incoming.put', clientId: 'b', packetId: 5 },
    ]);
    await p.apply([
      // put then delete in one batch: gone; put then update: the update wins.
      { op: 'msg.put', msg: msg('b', 10) },
      { op: 'msg.delete', clientId: 'b', seq: 10 },
      { op: 'msg.put', msg: msg('b', 11) },
      { op: 'msg.update', clientId: 'b', seq: 11, packetId: 3, state: 'sent' },
      { op: 'msg.update', clientId: 'b', seq: 11, packetId: 3, state: 'pubrel' },
      // update of a row from an earlier batch, then delete of another
      { op: 'msg.update', clientId: 'b', seq: 9, packetId: 4, state: 'sent' },
      // delete then put of one key: the put (an upsert)
      { op: 'incoming.delete', clientId: 'b', packetId: 5 },
      { op: 'incoming.put', clientId: 'b', packetId: 5 },
      { op: 'incoming.put', clientId: 'b', packetId: 6 },
      { op: 'incoming.delete', clientId: 'b', packetId: 6 },
      // session.delete drops everything of the client written before it, not what comes after
      sub('a', 'gone', 0),
      { op: 'msg.put', msg: msg('a', 2) },
      { op: 'session.delete', clientId: 'a' },
      session('a', 20),
      sub('a', 'new', 2),
      { op: 'msg.put', msg: msg('a', 3) },
      { op: 'msg.update', clientId: 'a', seq: 1, packetId: 1, state: 'sent' },
      // the last put of a key wins
      session('b', 30),
      session('b', 40),
      {
        op: 'retained.put',
        msg: { topic: 'r', payload: Buffer.from('1'), qos: 0, properties: undefined, expiresAt: undefined },
      },
      { op: 'retained.delete', topic: 'r' },
      {
        op: 'retained.put',
        msg: { topic: 'r', payload: Buffer.from('2'), qos: 1, properties: undefined, expiresAt: undefined },
      },
      { op: 'will.put', will: will('b') },
      { op: 'will.delete', clientId: 'b' },
    ]);
    const st = await p.load();
    assert.deepEqual(
      sortBy(st.sessions, (s) => s.clientId).map((s) => [s.clientId, s.expiryInterval]),
      [
        ['a', 20],
        ['b', 40],
      ],
    );
    assert.deepEqual(
      st.subscriptions.map((s) => [s.clientId, s.raw, s.qos]),
      [['a', 'new', 2]],
    );
    assert.deepEqual(
      st.messages.map((m) => [m.clientId, m.seq, m.packetId, m.state]),
      [
        ['a', 3, 0, 'queued'],
        ['b', 9, 4, 'sent'],
        ['b', 11, 3, 'pubrel'],
      ],
    );
    assert.deepEqual(st.incoming, [{ clientId: 'b', packetId: 5 }]);
    assert.deepEqual(
      st.retained.map((r) => [r.topic, r.payload.toString(), r.qos]),
      [['r', '2', 1]],
    );
    assert.deepEqual(st.wills, []);
  });

  test(`${name}: a batch of thousands of operations`, async (t) => {
    const p = await make(t);
    if (!p) return;
    const ops: PersistOp[] = [
      {
        op: 'session.put',
        session: { clientId: 'big', expiryInterval: 60, disconnectedAt: null, protocolVersion: 4 },
      },
    ];
    for (let i = 1; i <= 5000; i++)
      ops.push({ op: 'msg.put', msg: msg('big', i, { packetId: i, state: 'sent' }) });
    for (let i = 1; i <= 5000; i += 2) ops.push({ op: 'msg.delete', clientId: 'big', seq: i });
    await p.apply(ops);
    const st = await p.load();
    assert.equal(st.messages.length, 2500);
    assert.deepEqual(st.messages[0]?.seq, 2);
  });
}
