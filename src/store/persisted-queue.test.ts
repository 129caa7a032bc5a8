import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ManualClock,
  shardOf,
  silentLogger,
  singleNodeOwnership,
  type Ownership,
  type OwnershipChange,
} from '../core/index.js';
import { PersistedQueue, type QueuedRow } from './persisted-queue.js';

/** Owns the shards in `owned`; `move()` changes them and tells the listeners, like a lease table. */
function fakeOwnership(owned: Set<number>): Ownership & { move(next: number[]): void } {
  const base = singleNodeOwnership('n1', 8);
  const listeners: ((c: OwnershipChange) => void)[] = [];
  return {
    ...base,
    shardOf: (k) => shardOf(k, 8),
    owns: (k) => owned.has(shardOf(k, 8)),
    ownsShard: (s) => owned.has(s),
    ownedShards: () => [...owned].sort((a, b) => a - b),
    onChange: (l) => {
      listeners.push(l);
      return () => undefined;
    },
    move(next) {
      const gained = next.filter((s) => !owned.has(s));
      const lost = [...owned].filter((s) => !next.includes(s));
      owned.clear();
      for (const s of next) owned.add(s);
      for (const l of listeners) l({ gained, lost });
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

test('holds only owned rows, attempts them when due, at most maxConcurrent at once, and finds rows again after gaining their shard', async () => {
  const clock = new ManualClock(0);
  const rows: QueuedRow[] = ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => ({
    id,
    key: `k-${id}`,
    at: i * 10,
  }));
  const mine = new Set(rows.slice(0, 3).map((r) => shardOf(r.key, 8)));
  const others = rows.filter((r) => !mine.has(shardOf(r.key, 8)));
  assert.ok(others.length > 0, 'some rows belong to another node');
  const ownership = fakeOwnership(new Set(mine));
  const attempted: string[] = [];
  let running = 0;
  let peak = 0;
  const release: (() => void)[] = [];
  const done = new Set<string>(); // what load() no longer returns (the store says: finished)
  const q = new PersistedQueue({
    name: 'test',
    clock,
    log: silentLogger,
    ownership,
    maxConcurrent: 1,
    sweepMs: 1_000_000,
    retryAfterErrorMs: 5,
    load: async () => rows.filter((r) => !done.has(r.id)),
    attempt: async (id) => {
      attempted.push(id);
      peak = Math.max(peak, ++running);
      await new Promise<void>((r) => release.push(r));
      running--;
      done.add(id);
    },
  });
  await q.start();
  const owned = rows.filter((r) => mine.has(shardOf(r.key, 8))).map((r) => r.id);
  assert.equal(q.held, owned.length);
  clock.advance(100);
  for (let i = 0; i < 20 && attempted.length < owned.length; i++) {
    await flush();
    release.shift()?.();
    await flush();
  }
  assert.deepEqual(attempted, owned, 'owned rows only, in due order');
  assert.equal(peak, 1);
  ownership.move([...Array(8).keys()]); // this node now owns everything: it reloads
  await flush();
  await flush();
  for (let i = 0; i < 20 && attempted.length < rows.length; i++) {
    release.shift()?.();
    await flush();
  }
  assert.deepEqual(new Set(attempted), new Set(rows.map((r) => r.id)));
  assert.equal(attempted.length, rows.length, 'each row once');
  while (release.length) release.shift()!();
  await q.stop();
});

test('an attempt that throws is held again retryAfterErrorMs later', async () => {
  const clock = new ManualClock(0);
  let calls = 0;
  const q = new PersistedQueue({
    name: 'test',
    clock,
    log: silentLogger,
    maxConcurrent: 4,
    retryAfterErrorMs: 50,
    load: async () => [{ id: 'x', key: 'x', at: 0 }],
    attempt: async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
    },
  });
  await q.start();
  await q.settled();
  assert.equal(calls, 1);
  assert.equal(q.held, 1, 'kept after the error');
  clock.advance(49);
  await q.settled();
  assert.equal(calls, 1);
  clock.advance(1);
  await q.settled();
  assert.equal(calls, 2);
  assert.equal(q.held, 0);
  await q.stop();
});
