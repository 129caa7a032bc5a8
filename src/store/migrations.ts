/**
 * Per-module, forward-only migrations. Each module passes its ordered list; applied ids are
 * kept in `schema_migrations` so a restart applies only what is new.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import type { Database } from './database.js';
import { pgClientTransaction, sqliteTransaction } from './transaction.js';

export interface Migration {
  id: number;
  name: string;
  sqlite: string;
  postgres: string;
  /**
   * A data step run after the SQL, in the same transaction: for copies whose source may or may not
   * exist (a table another module owns, gone on a fresh database). Plain SQL cannot ask SQLite
   * whether a table exists; code can.
   */
  sqliteData?: (db: BetterSqlite3.Database) => void;
  postgresData?: (client: pg.PoolClient) => Promise<void>;
}

export async function migrate(
  database: Database,
  module: string,
  migrations: readonly Migration[],
): Promise<void> {
  const ids = migrations.map((m) => m.id);
  if (new Set(ids).size !== ids.length) throw new Error(`${module}: duplicate migration ids`);
  const create =
    'CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, id INTEGER NOT NULL, name TEXT NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (module, id))';
  if (database.kind === 'sqlite') {
    const db = database.db;
    db.exec(create);
    const done = new Set(
      (db.prepare('SELECT id FROM schema_migrations WHERE module = ?').all(module) as { id: number }[]).map(
        (r) => r.id,
      ),
    );
    for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(m.id)) continue;
      try {
        sqliteTransaction(db, () => {
          db.exec(m.sqlite);
          m.sqliteData?.(db);
          db.prepare('INSERT INTO schema_migrations (module, id, name, applied_at) VALUES (?, ?, ?, ?)').run(
            module,
            m.id,
            m.name,
            Date.now(),
          );
        })();
      } catch (err) {
        throw new Error(`${module} migration ${m.id} (${m.name}) failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    return;
  }
  const client = await database.pool.connect();
  // Several nodes (or modules) may start at once on a fresh schema: take one advisory lock per schema
  // before even creating the bookkeeping table, since concurrent CREATE TABLE IF NOT EXISTS collide.
  const lockKey = `tsunagu-migrate-${database.schema}`;
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
    try {
      await client.query(create);
      const res = await client.query<{ id: number }>('SELECT id FROM schema_migrations WHERE module = $1', [
        module,
      ]);
      const done = new Set(res.rows.map((r) => Number(r.id)));
      for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
        if (done.has(m.id)) continue;
        try {
          await pgClientTransaction(client, async (c) => {
            await c.query(m.postgres);
            await m.postgresData?.(c);
            await c.query(
              'INSERT INTO schema_migrations (module, id, name, applied_at) VALUES ($1, $2, $3, $4)',
              [module, m.id, m.name, Date.now()],
            );
          });
        } catch (err) {
          throw new Error(`${module} migration ${m.id} (${m.name}) failed: ${(err as Error).message}`, {
            cause: err,
          });
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
    }
  } finally {
    client.release();
  }
}
