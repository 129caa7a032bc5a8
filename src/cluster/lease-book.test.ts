import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.js';
import { DEFAULT_SHARDS, shardOf, singleNodeOwnership, type OwnershipChange } from '../core/ownership.js';
import { LeaseBook, planRound, targetShare } from './lease-book.js';

const timing = { ttlMs: 4000, marginMs: 1000 };

function book(): { clock: ManualClock; b: LeaseBook; changes: OwnershipChange[] } {
  const clock = new ManualClock(0);
  const changes: OwnershipChange[] = [];
  return { clock, b: new LeaseBook(clock, timing, (c) => changes.push(c)), changes };
}

test('targetShare splits shards evenly, rounding up so every shard fits', () => {
  assert.equal(targetShare(64, 1), 64);
  assert.equal(targetShare(64, 3), 22);
  assert.equal(targetShare(64, 0), 64);
  for (let n = 1; n <= 10; n++) assert.ok(targetShare(64, n) * n >= 64);
});

test('planRound: acquire free shards up to the share, release only what is above it', () => {
  assert.deepEqual(planRound(64, 1, 0, 64), { acquire: 64, release: 0 });
  assert.deepEqual(planRound(64, 2, 64, 0), { acquire: 0, release: 32 });
  assert.deepEqual(planRound(64, 3, 20, 2), { acquire: 2, release: 0 });
  assert.deepEqual(planRound(64, 3, 22, 5), { acquire: 0, release: 0 });
  assert.deepEqual(planRound(64, 3, 10, 3), { acquire: 3, release: 0 });
});

test('shardOf is stable and spreads keys over every shard', () => {
  assert.equal(shardOf('scooter-1', 64), shardOf('scooter-1', 64));
  const counts = new Array<number>(64).fill(0);
  for (let i = 0; i < 6400; i++) counts[shardOf(`device-${i}`, 64)]!++;
  assert.ok(Math.min(...counts) > 50 && Math.max(...counts) < 150, `uneven: ${counts.join(',')}`);
});

test('single node owns every key and never changes', () => {
  const o = singleNodeOwnership('n1');
  assert.equal(o.owns('anything'), true);
  assert.equal(o.ownedShards().length, DEFAULT_SHARDS);
  assert.deepEqual(o.members(), [{ nodeId: 'n1', shards: DEFAULT_SHARDS }]);
});

test('an acquired lease is acted on until t0 + ttl − margin, then lost without a renewal', () => {
  const { clock, b, changes } = book();
  b.acquired(0, [1, 2]);
  assert.deepEqual(changes, [{ gained: [1, 2], lost: [] }]);
  clock.advance(2999);
  assert.equal(b.owns(1), true);
  clock.advance(1);
  assert.equal(b.owns(1), false);
  assert.deepEqual(changes[1], { gained: [], lost: [1, 2] });
});

test('owns() turns false at the deadline even if the expiry timer has not run (stalled loop)', () => {
  const clock = { now: () => t, setTimer: () => () => undefined };
  let t = 0;
  const b = new LeaseBook(clock, timing, () => undefined);
  b.acquired(0, [5]);
  t = 3000;
  assert.equal(b.owns(5), false);
  assert.deepEqual(b.shards(), []);
});

test('the local deadline counts from when the renewal was sent, not when it answered', () => {
  const { clock, b } = book();
  b.acquired(0, [7]);
  clock.advance(1000);
  const sent = clock.now();
  clock.advance(1500); // a slow database
  b.renewed(sent, [7]);
  clock.advance(1499); // sent + 2999
  assert.equal(b.owns(7), true);
  clock.advance(1);
  assert.equal(b.owns(7), false);
});

test('renewal: shards the database no longer gives are lost, renewed ones stay without a change', () => {
  const { clock, b, changes } = book();
  b.acquired(0, [1, 2, 3]);
  clock.advance(1000);
  b.renewed(1000, [1, 3]);
  assert.deepEqual(changes.at(-1), { gained: [], lost: [2] });
  assert.deepEqual(b.shards(), [1, 3]);
  clock.advance(1000);
  const n = changes.length;
  b.renewed(2000, [1, 3]);
  assert.equal(changes.length, n, 'no change event for a plain renewal');
});

test('a lease dropped locally but still valid in the database is gained again on renewal', () => {
  const { clock, b, changes } = book();
  b.acquired(0, [4]);
  clock.advance(3200); // lost locally (deadline 3000), database expiry is 4000
  assert.deepEqual(changes.at(-1), { gained: [], lost: [4] });
  b.renewed(3200, [4]);
  assert.deepEqual(changes.at(-1), { gained: [4], lost: [] });
  assert.equal(b.owns(4), true);
});

test('release stops acting first; pickRelease gives up the highest shards', () => {
  const { b, changes } = book();
  b.acquired(0, [1, 5, 9, 12]);
  assert.deepEqual(b.pickRelease(2), [9, 12]);
  b.release([9, 12]);
  assert.deepEqual(changes.at(-1), { gained: [], lost: [9, 12] });
  assert.deepEqual(b.shards(), [1, 5]);
  assert.deepEqual(b.releaseAll().sort(), [1, 5]);
  assert.equal(b.size, 0);
});
