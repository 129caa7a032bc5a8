/**
 * Cluster events over a real NATS server: three nodes, every event received exactly once by each
 * (the publisher included, synchronously), in publish order per publisher; a gap in a peer's
 * sequence numbers makes the receiver resync.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { singleNodeEvents } from '../core/cluster-events.js';
import { silentLogger } from '../core/logger.js';
import { NATS_URL, requireNats } from '../test-support/services.js';
import { NatsClusterEvents } from './nats-events.js';

const subject = (): string => `tsunagu.test.${randomBytes(4).toString('hex')}`;

test('single node: publish runs the local handlers once, synchronously', () => {
  const ev = singleNodeEvents(silentLogger);
  const got: string[] = [];
  const off = ev.subscribe('invalidate', (e) => got.push(e.id));
  ev.publish('invalidate', { kind: 'token', id: 't1' });
  assert.deepEqual(got, ['t1']);
  off();
  ev.publish('invalidate', { kind: 'token', id: 't2' });
  assert.deepEqual(got, ['t1']);
});

test('nats: 3 nodes, each event received exactly once by each node, in order per publisher', async (t) => {
  if (!(await requireNats(t))) return;
  const subj = subject();
  const nodes = await Promise.all(
    ['a', 'b', 'c'].map((id) =>
      NatsClusterEvents.connect({ url: NATS_URL, nodeId: id, subject: subj, log: silentLogger }),
    ),
  );
  t.after(() => Promise.all(nodes.map((n) => n.close())));
  const got = nodes.map(() => [] as string[]);
  nodes.forEach((n, i) => n.subscribe('invalidate', (e) => got[i]!.push(e.id)));
  const resyncs = nodes.map(() => 0);
  nodes.forEach((n, i) => n.onResync(() => resyncs[i]!++));

  const PER_NODE = 200;
  for (let k = 0; k < PER_NODE; k++)
    nodes.forEach((n, i) => n.publish('invalidate', { kind: 'device', id: `${i}:${k}` }));
  // The publisher's own handlers ran before publish returned.
  for (let i = 0; i < 3; i++) assert.equal(got[i]!.filter((id) => id.startsWith(`${i}:`)).length, PER_NODE);

  const total = 3 * PER_NODE;
  const deadline = Date.now() + 15_000;
  while (got.some((g) => g.length < total) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200)); // anything extra would arrive now
  for (let i = 0; i < 3; i++) {
    assert.equal(got[i]!.length, total, `node ${i} received ${got[i]!.length}`);
    assert.equal(new Set(got[i]).size, total, `node ${i} received a duplicate`);
    for (let p = 0; p < 3; p++) {
      const fromP = got[i]!.filter((id) => id.startsWith(`${p}:`)).map((id) => Number(id.split(':')[1]));
      assert.deepEqual(
        fromP,
        Array.from({ length: PER_NODE }, (_, k) => k),
        `order from ${p} at ${i}`,
      );
    }
  }
  assert.deepEqual(resyncs, [0, 0, 0]);
});

test('nats: a repeated message is dropped; a gap in a sequence makes the receiver resync', async (t) => {
  if (!(await requireNats(t))) return;
  const subj = subject();
  const node = await NatsClusterEvents.connect({
    url: NATS_URL,
    nodeId: 'r',
    subject: subj,
    log: silentLogger,
  });
  t.after(() => node.close());
  const raw = await connect({ servers: NATS_URL });
  t.after(() => raw.close());
  const got: string[] = [];
  node.subscribe('invalidate', (e) => got.push(e.id));
  let resyncs = 0;
  node.onResync(() => resyncs++);
  const send = (s: number, id: string): void =>
    raw.publish(
      subj,
      Buffer.from(JSON.stringify({ o: 'peer#1', s, n: 'invalidate', p: { kind: 'acl', id } })),
    );
  send(1, 'x1');
  send(1, 'x1-again');
  send(2, 'x2');
  send(5, 'x5');
  raw.publish(subj, Buffer.from('not json'));
  await raw.flush();
  const deadline = Date.now() + 5000;
  while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(got, ['x1', 'x2', 'x5']);
  assert.equal(resyncs, 1);
});
