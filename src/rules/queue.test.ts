// The delivery queue on its own: a backlog larger than the concurrency limit, retries with
// backoff, the error action after the last attempt, and ownership (a node attempts only its shards).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger, systemClock, type Ownership } from '../core/index.js';
import { openSqlite } from '../store/index.js';
import { until } from '../test-support/until.js';
import { openRulesStore } from './open-store.js';
import { DeliveryQueue } from './queue.js';
import { delivery } from './rules-store.contract.js';
import type { Delivery, RuleDef } from './types.js';

const rule: RuleDef = {
  name: 'r1',
  sql: "SELECT * FROM 'a'",
  enabled: true,
  actions: [{ type: 'republish', topic: 'x' }],
  errorAction: { type: 'republish', topic: 'err' },
};

test('a backlog beyond the concurrency limit drains; failures retry, then the error action runs once', async () => {
  const db = openSqlite(':memory:');
  const store = await openRulesStore(db);
  const sent = new Map<string, number>();
  let concurrent = 0;
  let maxSeen = 0;
  const errors: Delivery[] = [];
  const q = new DeliveryQueue({
    clock: systemClock,
    store,
    log: silentLogger,
    maxConcurrent: 4,
    backoff: { baseMs: 5, maxMs: 20 },
    sweepMs: 50,
    ruleOf: () => rule,
    async send(d) {
      concurrent++;
      maxSeen = Math.max(maxSeen, concurrent);
      await new Promise((r) => setTimeout(r, 1));
      concurrent--;
      const n = (sent.get(d.id) ?? 0) + 1;
      sent.set(d.id, n);
      if (d.action === -1) return;
      if (d.id === 'never') throw new Error('peer down');
      if (Number(d.id.slice(1)) % 2 === 0 && n === 1) throw new Error('first attempt fails');
    },
    errorDelivery: (d, _r, error) => {
      const e = delivery(`err-${d.id}`, {
        action: -1,
        lastError: null,
        request: { target: error },
        nextAttemptAt: 0,
      });
      errors.push(e);
      return e;
    },
  });
  try {
    await q.start();
    const now = Date.now();
    await q.enqueue([
      ...Array.from({ length: 100 }, (_, i) => delivery(`d${i}`, { nextAttemptAt: now, maxAttempts: 3 })),
      delivery('never', { nextAttemptAt: now, maxAttempts: 3 }),
    ]);
    await until('the backlog drains', async () => (await store.due(Date.now() + 1e9, 1000)).length === 0);
    await q.idle();
    assert.ok(maxSeen <= 4, `at most 4 at once, saw ${maxSeen}`);
    for (let i = 0; i < 100; i++) assert.equal(sent.get(`d${i}`), i % 2 === 0 ? 2 : 1, `d${i}`);
    assert.equal(sent.get('never'), 3);
    assert.deepEqual(
      errors.map((e) => [e.id, e.request.target]),
      [['err-never', 'peer down']],
    );
    assert.equal(sent.get('err-never'), 1);
    assert.equal((await store.listDeliveries('r1', 'failed', 10)).length, 1);
    assert.equal((await store.listDeliveries('r1', 'delivered', 1000)).length, 101);
  } finally {
    await q.stop();
    await db.close();
  }
});

test('ownership: a node attempts only deliveries of the shards it owns', async () => {
  const db = openSqlite(':memory:');
  const store = await openRulesStore(db);
  const seen: string[][] = [[], []];
  const ownership = (mine: number): Ownership => ({
    nodeId: `n${mine}`,
    shardCount: 2,
    shardOf: (k) => (k.endsWith('a') ? 0 : 1),
    owns: (k) => (k.endsWith('a') ? 0 : 1) === mine,
    ownsShard: (s) => s === mine,
    ownedShards: () => [mine],
    onChange: () => () => undefined,
    members: () => [],
  });
  const queues = [0, 1].map(
    (i) =>
      new DeliveryQueue({
        clock: systemClock,
        store,
        log: silentLogger,
        ownership: ownership(i),
        sweepMs: 20,
        ruleOf: () => rule,
        send: (d) => {
          seen[i]!.push(d.id);
          return Promise.resolve();
        },
        errorDelivery: () => undefined,
      }),
  );
  try {
    for (const q of queues) await q.start();
    const now = Date.now();
    // Queued on node 0, half of them owned by node 1: its sweep finds them.
    await queues[0]!.enqueue(['1a', '2b', '3a', '4b'].map((id) => delivery(id, { nextAttemptAt: now })));
    await until(
      'all delivered',
      async () => (await store.listDeliveries('r1', 'delivered', 10)).length === 4,
    );
    assert.deepEqual(seen[0]!.sort(), ['1a', '3a']);
    assert.deepEqual(seen[1]!.sort(), ['2b', '4b']);
  } finally {
    for (const q of queues) await q.stop();
    await db.close();
  }
});
