/** The registry store's SQLite runner: the statements and their mapping are shared (registry-store.ts). */
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteTransaction } from '../store/index.js';
import { bindParams, type Row, type Sql, type Stmt } from './sql.js';

export function sqliteSql(db: BetterSqlite3.Database): Sql {
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
    for (const s of stmts) prep(s.sql).run(...bindParams(s.params));
  });
  return {
    kind: 'sqlite',
    all: async (sql, params = []) => prep(sql).all(...bindParams(params)) as Row[],
    get: async (sql, params = []) => prep(sql).get(...bindParams(params)) as Row | undefined,
    run: async (sql, params = []) => prep(sql).run(...bindParams(params)).changes,
    batch: async (stmts) => {
      if (stmts.length) tx(stmts);
    },
  };
}
