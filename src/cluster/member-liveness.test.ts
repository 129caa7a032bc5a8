/**
 * Which members the adopter counts as dead (orphans.ts `liveMember`), on the real PostgreSQL: a
 * member whose membership lapsed is dead after the grace — or at once when its liveness lock
 * (member-liveness.ts) is gone too, i.e. its process ended; one whose lock is still held (a
 * stalled process keeps its connection) keeps the grace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../core/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { MemberLiveness } from './member-liveness.js';
import { liveMember } from './orphans.js';
import { DB_NOW, ensureClusterTables } from './pg-tables.js';

test('postgres: a lapsed member is dead at once without its liveness lock, after the grace with it', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('liveness');
  const held: MemberLiveness[] = [];
  t.after(async () => {
    for (const l of held) await l.close();
    await db.drop();
  });
  await ensureClusterTables(db, 64);
  // Owners with random suffixes, as PgOwnership makes them (the lock is per database).
  const tag = Math.random().toString(36).slice(2, 8);
  const owner = (n: string): string => `${n}#${tag}`;
  const rows: [string, number][] = [
    ['alive', 3000], // membership live
    ['stalled', -2000], // lapsed 2 s ago, lock held (process up)
    ['killed', -2000], // lapsed 2 s ago, lock gone
    ['long-gone', -9000], // lapsed 9 s ago, lock held (e.g. power loss: connection not yet closed)
  ];
  for (const [n, ms] of rows)
    await db.pool.query(
      `INSERT INTO cluster_members (owner, node_id, started_at, expires_at) VALUES ($1, $2, 0, ${DB_NOW} + $3)`,
      [owner(n), n, ms],
    );
  for (const n of ['alive', 'stalled', 'long-gone']) {
    const l = new MemberLiveness(db, owner(n), silentLogger);
    await l.start();
    assert.equal(l.held, true, `${n}: lock held`);
    held.push(l);
  }
  const killed = new MemberLiveness(db, owner('killed'), silentLogger);
  await killed.start();
  await killed.close(); // its connection ended: the lock is released

  const live = async (sql: (c: string) => string): Promise<string[]> =>
    (
      await db.pool.query<{ n: string }>(
        `SELECT c.node_id AS n FROM cluster_members c WHERE ${sql('c.owner')} ORDER BY c.node_id`,
      )
    ).rows.map((r) => r.n);
  assert.deepEqual(await live(liveMember(8000)), ['alive', 'killed', 'stalled'], 'grace only: as before');
  assert.deepEqual(
    await live(liveMember(8000, 0)),
    ['alive', 'stalled'],
    'with the lock: the killed member is dead at once, the stalled one keeps its grace',
  );
});
