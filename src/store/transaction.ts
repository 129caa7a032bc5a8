/**
 * The one transaction helper every store adapter uses, instead of a hand-written
 * `BEGIN`/`COMMIT`/`ROLLBACK` block per adapter.
 *
 * - PostgreSQL: `pgTransaction(pool, fn)` runs `fn` on one pooled client inside `BEGIN … COMMIT`;
 *   when `fn` throws it rolls back and rethrows `fn`'s error (a failed `ROLLBACK` never hides it;
 *   the client is then discarded instead of going back to the pool half-open).
 * - SQLite: better-sqlite3 runs statements synchronously, so a transaction is a synchronous
 *   function; `sqliteTransaction(db, fn)` compiles it once (prepare at adapter construction, call
 *   on every write). Nested calls become savepoints.
 * - SQLite, work that awaits: `sqliteAsyncTransaction(db, fn)` opens `BEGIN IMMEDIATE`, awaits
 *   `fn`, commits, or rolls back and rethrows. The caller must keep other statements on the same
 *   connection out until it settles (jobs' `sqlitePort` queues every call behind the open one).
 */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';

export async function pgTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await onClient(client, fn, (e) => (broken = e));
  } finally {
    client.release(broken);
  }
}

/** The same on a client the caller holds (one that also holds an advisory lock, say). */
export function pgClientTransaction<T>(
  client: pg.PoolClient,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return onClient(client, fn, () => undefined);
}

async function onClient<T>(
  client: pg.PoolClient,
  fn: (client: pg.PoolClient) => Promise<T>,
  rollbackFailed: (err: Error) => void,
): Promise<T> {
  await client.query('BEGIN');
  try {
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client
      .query('ROLLBACK')
      .catch((e: unknown) => rollbackFailed(e instanceof Error ? e : new Error(String(e))));
    throw err;
  }
}

/** A compiled SQLite transaction: all of `fn`'s statements or none. */
export function sqliteTransaction<F extends (...args: never[]) => unknown>(
  db: BetterSqlite3.Database,
  fn: F,
): BetterSqlite3.Transaction<F> {
  return db.transaction(fn);
}

/**
 * A SQLite transaction around work that awaits (the jobs store's logic is written once over
 * an async port). better-sqlite3's compiled transactions refuse a promise, so this one is opened
 * and closed by hand — here, once. Rolls back and rethrows `fn`'s error when it throws.
 */
export async function sqliteAsyncTransaction<T>(
  db: BetterSqlite3.Database,
  fn: () => Promise<T>,
): Promise<T> {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = await fn();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
