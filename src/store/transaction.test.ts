import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from './database.js';
import { pgTransaction, sqliteTransaction } from './transaction.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';

test('SQLite: a transaction commits all of its statements, or none when it throws', async () => {
  const db = openSqlite(':memory:');
  db.db.exec('CREATE TABLE t (id TEXT PRIMARY KEY)');
  const put = sqliteTransaction(db.db, (ids: string[]) => {
    for (const id of ids) db.db.prepare('INSERT INTO t (id) VALUES (?)').run(id);
    return ids.length;
  });
  assert.equal(put(['a', 'b']), 2);
  assert.throws(() => put(['c', 'a']), /UNIQUE/); // 'c' goes in, 'a' collides: 'c' is rolled back
  assert.deepEqual(
    db.db
      .prepare('SELECT id FROM t ORDER BY id')
      .all()
      .map((r) => (r as { id: string }).id),
    ['a', 'b'],
  );
  await db.close();
});

test('PostgreSQL: commit on resolve, rollback on throw with the error of the work, client back in the pool', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('tx');
  try {
    await db.pool.query('CREATE TABLE t (id TEXT PRIMARY KEY)');
    const n = await pgTransaction(db.pool, async (c) => {
      await c.query("INSERT INTO t (id) VALUES ('a'), ('b')");
      return 2;
    });
    assert.equal(n, 2);
    const boom = new Error('work failed');
    await assert.rejects(
      pgTransaction(db.pool, async (c) => {
        await c.query("INSERT INTO t (id) VALUES ('c')");
        throw boom;
      }),
      (err) => err === boom,
    );
    // A statement error aborts the transaction; the rollback still happens and the SQL error surfaces.
    await assert.rejects(
      pgTransaction(db.pool, async (c) => {
        await c.query("INSERT INTO t (id) VALUES ('d')");
        await c.query("INSERT INTO t (id) VALUES ('a')");
      }),
      /duplicate key/,
    );
    const r = await db.pool.query<{ id: string }>('SELECT id FROM t ORDER BY id');
    assert.deepEqual(
      r.rows.map((x) => x.id),
      ['a', 'b'],
    );
    assert.equal(db.pool.idleCount, db.pool.totalCount, 'every client was released');
  } finally {
    await db.drop();
  }
});
