import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from './database.js';
import { migrate, type Migration } from './migrations.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';

const MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'create',
    sqlite: 'CREATE TABLE t_items (id TEXT PRIMARY KEY)',
    postgres: 'CREATE TABLE t_items (id TEXT PRIMARY KEY)',
  },
  {
    id: 2,
    name: 'add column',
    sqlite: 'ALTER TABLE t_items ADD COLUMN n INTEGER',
    postgres: 'ALTER TABLE t_items ADD COLUMN n INTEGER',
  },
];

test('SQLite: migrations apply once, in order, and a restart applies only what is new', async () => {
  const db = openSqlite(':memory:');
  await migrate(db, 'test', MIGRATIONS.slice(0, 1));
  await migrate(db, 'test', MIGRATIONS); // the first is skipped, the second applied
  await migrate(db, 'test', MIGRATIONS); // nothing to do
  db.db.prepare('INSERT INTO t_items (id, n) VALUES (?, ?)').run('a', 1);
  const applied = db.db.prepare("SELECT id FROM schema_migrations WHERE module = 'test' ORDER BY id").all();
  assert.deepEqual(applied, [{ id: 1 }, { id: 2 }]);
  await db.close();
});

test('SQLite: a failing migration rolls back and names itself', async () => {
  const db = openSqlite(':memory:');
  const bad: Migration = { id: 1, name: 'broken', sqlite: 'CREATE TABLE x (; nonsense', postgres: '' };
  await assert.rejects(() => migrate(db, 'bad', [bad]), /bad migration 1 \(broken\) failed/);
  assert.deepEqual(db.db.prepare("SELECT count(*) AS n FROM schema_migrations WHERE module = 'bad'").get(), {
    n: 0,
  });
  await db.close();
});

test('PostgreSQL: concurrent first-time migrations of several modules on a fresh schema do not collide', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('mig');
  try {
    const mods = ['a', 'b', 'c', 'd'].map((m) =>
      MIGRATIONS.map((x) => ({ ...x, postgres: x.postgres.replace(/t_items/g, `t_items_${m}`) })),
    );
    await Promise.all(mods.map((ms, i) => migrate(db, `mod${i}`, ms)));
    await Promise.all(mods.map((ms, i) => migrate(db, `mod${i}`, ms))); // idempotent
    const r = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
    assert.equal(Number(r.rows[0]!.n), 8);
  } finally {
    await db.drop();
  }
});
