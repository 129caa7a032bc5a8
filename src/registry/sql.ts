/**
 * A tiny SQL runner over both backends, so the registry store is written once: statements use `?`
 * placeholders (rewritten to `$n` for PostgreSQL), booleans are stored as 0/1 integers and JSON
 * as text in both. The two adapters differ only here and in the migrations.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { pgTransaction, sqliteTransaction, type Database } from '../store/index.js';

export type Param = string | number | boolean | null;
export interface Stmt {
  sql: string;
  params: Param[];
}
export type Row = Record<string, unknown>;

export interface Sql {
  readonly kind: 'sqlite' | 'postgres';
  all(sql: string, params?: Param[]): Promise<Row[]>;
  get(sql: string, params?: Param[]): Promise<Row | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: Param[]): Promise<number>;
  /** Run the statements in one transaction (all or nothing). */
  batch(stmts: Stmt[]): Promise<void>;
}

const toSqlite = (p: Param[]): (string | number | null)[] =>
  p.map((v) => (v === true ? 1 : v === false ? 0 : v));

function sqliteSql(db: BetterSqlite3.Database): Sql {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prep = (sql: string): BetterSqlite3.Statement => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const tx = sqliteTransaction(db, (stmts: Stmt[]) => {
    for (const s of stmts) prep(s.sql).run(...toSqlite(s.params));
  });
  return {
    kind: 'sqlite',
    all: async (sql, params = []) => prep(sql).all(...toSqlite(params)) as Row[],
    get: async (sql, params = []) => prep(sql).get(...toSqlite(params)) as Row | undefined,
    run: async (sql, params = []) => prep(sql).run(...toSqlite(params)).changes,
    batch: async (stmts) => {
      if (stmts.length) tx(stmts);
    },
  };
}

/** `?` → `$1, $2 …` (the registry's SQL never holds a literal question mark). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function pgSql(pool: pg.Pool): Sql {
  const conv = (p: Param[]): (string | number | null)[] =>
    p.map((v) => (v === true ? 1 : v === false ? 0 : v));
  return {
    kind: 'postgres',
    all: async (sql, params = []) => (await pool.query(numbered(sql), conv(params))).rows as Row[],
    get: async (sql, params = []) =>
      (await pool.query(numbered(sql), conv(params))).rows[0] as Row | undefined,
    run: async (sql, params = []) => (await pool.query(numbered(sql), conv(params))).rowCount ?? 0,
    batch: async (stmts) => {
      if (!stmts.length) return;
      await pgTransaction(pool, async (client) => {
        for (const s of stmts) await client.query(numbered(s.sql), conv(s.params));
      });
    },
  };
}

export function sqlFor(db: Database): Sql {
  return db.kind === 'sqlite' ? sqliteSql(db.db) : pgSql(db.pool);
}
