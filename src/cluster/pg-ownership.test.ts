/**
 * Three ownership instances on one PostgreSQL schema (one process): sampled every 20 ms, no shard
 * is ever owned by two instances; after joins and a graceful leave every shard has exactly one
 * owner and the split is fair.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../core/logger.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { monotonicClock } from './index.js';
import { PgOwnership } from './pg-ownership.js';
import { ShardCountMismatchError } from './pg-tables.js';

const SHARDS = 32;
// Short leases keep the test quick; the margin is wide for a loaded machine.
const TIMING = { ttlMs: 2000, renewMs: 300, marginMs: 700 };

test('postgres: 3 nodes — never two owners of a shard; fair split; a leaving node hands over', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('own');
  t.after(() => db.drop());
  const make = (id: string): PgOwnership =>
    new PgOwnership({
      db,
      nodeId: id,
      shardCount: SHARDS,
      ...TIMING,
      clock: monotonicClock,
      log: silentLogger,
    });
  const nodes: PgOwnership[] = [];
  t.after(() => Promise.all(nodes.map((n) => n.close())));

  let samples = 0;
  const violations: string[] = [];
  const sampler = setInterval(() => {
    samples++;
    for (let s = 0; s < SHARDS; s++) {
      const owners = nodes.filter((n) => n.ownsShard(s)).map((n) => n.nodeId);
      if (owners.length > 1) violations.push(`shard ${s}: ${owners.join(',')}`);
    }
  }, 20);
  t.after(() => clearInterval(sampler));

  const settled = async (live: PgOwnership[], what: string): Promise<void> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const counts = live.map((n) => n.ownedShards().length);
      const total = counts.reduce((a, b) => a + b, 0);
      const fair = Math.max(...counts) <= Math.ceil(SHARDS / live.length);
      if (total === SHARDS && fair) return;
      if (Date.now() > deadline) assert.fail(`${what}: not settled, shards per node ${counts.join('/')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const a = make('a');
  nodes.push(a);
  await a.start();
  assert.equal(a.ownedShards().length, SHARDS, 'a lone node owns everything after its first round');

  const b = make('b');
  const c = make('c');
  nodes.push(b, c);
  await Promise.all([b.start(), c.start()]);
  await settled([a, b, c], 'three nodes');
  const split = [a, b, c].map((n) => n.ownedShards().length);
  assert.deepEqual(
    [...split].sort((x, y) => x - y),
    [10, 11, 11],
  );
  assert.equal(a.members().length, 3);

  // Graceful leave: its leases are deleted, the others take them on their next rounds.
  const lost: number[] = [];
  b.onChange((ch) => lost.push(...ch.lost));
  const bShards = b.ownedShards();
  await b.close();
  assert.deepEqual(
    lost.sort((x, y) => x - y),
    bShards,
    'the leaving node reports every shard lost',
  );
  nodes.splice(nodes.indexOf(b), 1);
  await settled([a, c], 'after b left');
  assert.deepEqual(violations, []);
  assert.ok(samples > 20, `sampled ${samples} times`);
  console.log(`# ownership sampled ${samples} times, 0 double owners`);
});

test('postgres: a node configured with another shard count refuses to start', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('own');
  t.after(() => db.drop());
  const first = new PgOwnership({
    db,
    nodeId: 'x',
    shardCount: 16,
    ...TIMING,
    clock: monotonicClock,
    log: silentLogger,
  });
  await first.start();
  t.after(() => first.close());
  const other = new PgOwnership({
    db,
    nodeId: 'y',
    shardCount: 64,
    ...TIMING,
    clock: monotonicClock,
    log: silentLogger,
  });
  await assert.rejects(other.start(), ShardCountMismatchError);
});
