/** AuthStore on the embedded SQLite database. */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../store/index.js';
import { migrate } from '../store/index.js';
import { AUTH_MIGRATIONS, authStoreOn, type AuthStore } from './auth-store.js';

export async function createSqliteAuthStore(database: SqliteDatabase): Promise<AuthStore> {
  await migrate(database, 'auth', AUTH_MIGRATIONS);
  const db = database.db;
  const cache = new Map<string, Statement<unknown[]>>();
  const stmt = (q: string): Statement<unknown[]> => {
    let s = cache.get(q);
    if (!s) {
      s = db.prepare<unknown[]>(q);
      cache.set(q, s);
    }
    return s;
  };
  return authStoreOn({
    all: async <T>(q: string, params: unknown[] = []) => stmt(q).all(...params) as T[],
    run: async (q, params = []) => stmt(q).run(...params).changes,
    tableExists: async (name) =>
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined,
  });
}
