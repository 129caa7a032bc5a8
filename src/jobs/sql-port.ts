/**
 * The few SQL calls the jobs store makes, over either database, so its transaction logic is written
 * once (`sql-jobs-store.ts`) and the adapters differ only in how a statement runs. Statements use
 * `?` placeholders; the PostgreSQL port numbers them.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import type { PostgresDatabase, SqliteDatabase } from '../store/index.js';
import { pgTransaction, sqliteAsyncTransaction } from '../store/index.js';

export interface SqlPort {
  readonly kind: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Run `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  tx<T>(fn: (q: SqlPort) => Promise<T>): Promise<T>;
}

const numbered = (sql: string): string => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

export function pgPort(database: PostgresDatabase): SqlPort {
  const on = (c: pg.Pool | pg.PoolClient): Omit<SqlPort, 'tx'> => ({
    kind: 'postgres',
    all: async <T>(sql: string, params: readonly unknown[] = []) =>
      (await c.query(numbered(sql), params as unknown[])).rows as T[],
    run: async (sql, params = []) => (await c.query(numbered(sql), params as unknown[])).rowCount ?? 0,
  });
  const port: SqlPort = {
    ...on(database.pool),
    async tx(fn) {
      return pgTransaction(database.pool, (c) => {
        const inner: SqlPort = { ...on(c), tx: (f) => f(inner) };
        return fn(inner);
      });
    },
  };
  return port;
}

/**
 * SQLite runs statements synchronously on one connection; a transaction spans awaits, so every
 * call waits for the open transaction to finish (a statement from elsewhere must not land inside
 * it, or be rolled back with it).
 */
export function sqlitePort(database: SqliteDatabase): SqlPort {
  const db = database.db;
  const cache = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  const stmt = (sql: string): BetterSqlite3.Statement<unknown[]> => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare<unknown[]>(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const bind = (params: readonly unknown[]): unknown[] =>
    params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
  const direct: Omit<SqlPort, 'tx'> = {
    kind: 'sqlite',
    all: async <T>(sql: string, params: readonly unknown[] = []) => stmt(sql).all(...bind(params)) as T[],
    run: async (sql, params = []) => stmt(sql).run(...bind(params)).changes,
  };
  let lock: Promise<void> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const out = lock.then(fn);
    lock = out.then(
      () => undefined,
      () => undefined,
    );
    return out;
  };
  const inner: SqlPort = { ...direct, tx: (f) => f(inner) };
  return {
    kind: 'sqlite',
    all: (sql, params) => exclusive(() => direct.all(sql, params)),
    run: (sql, params) => exclusive(() => direct.run(sql, params)),
    tx: (fn) => exclusive(() => sqliteAsyncTransaction(db, () => fn(inner))),
  };
}
