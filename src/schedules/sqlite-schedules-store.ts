/** SchedulesStore on the embedded SQLite database (statements prepared once, cached by text). */
import type BetterSqlite3 from 'better-sqlite3';
import { migrate, type SqliteDatabase } from '../store/index.js';
import { SCHEDULES_MIGRATIONS, SqlSchedulesStore, type SchedulesStore } from './schedules-store.js';

export async function createSqliteSchedulesStore(database: SqliteDatabase): Promise<SchedulesStore> {
  await migrate(database, 'schedules', SCHEDULES_MIGRATIONS);
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string): BetterSqlite3.Statement => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = database.db.prepare(sql)));
    return s;
  };
  return new SqlSchedulesStore({
    all: <T>(sql: string, params: unknown[]) => Promise.resolve(prepare(sql).all(...params) as T[]),
    run: (sql: string, params: unknown[]) => Promise.resolve(prepare(sql).run(...params).changes),
  });
}
