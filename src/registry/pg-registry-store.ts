/** The registry store's PostgreSQL runner: the statements and their mapping are shared (registry-store.ts). */
import type pg from 'pg';
import { pgTransaction } from '../store/index.js';
import { bindParams, numbered, type Row, type Sql } from './sql.js';

export function pgSql(pool: pg.Pool): Sql {
  return {
    kind: 'postgres',
    all: async (sql, params = []) => (await pool.query(numbered(sql), bindParams(params))).rows as Row[],
    get: async (sql, params = []) =>
      (await pool.query(numbered(sql), bindParams(params))).rows[0] as Row | undefined,
    run: async (sql, params = []) => (await pool.query(numbered(sql), bindParams(params))).rowCount ?? 0,
    batch: async (stmts) => {
      if (!stmts.length) return;
      await pgTransaction(pool, async (client) => {
        for (const s of stmts) await client.query(numbered(s.sql), bindParams(s.params));
      });
    },
  };
}
