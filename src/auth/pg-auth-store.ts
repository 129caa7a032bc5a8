/** AuthStore on PostgreSQL. */
import type { PostgresDatabase } from '../store/index.js';
import { migrate } from '../store/index.js';
import { AUTH_MIGRATIONS, authStoreOn, type AuthStore } from './auth-store.js';

/** `?` placeholders → `$1, $2, …` (auth's SQL has no `?` inside literals). */
const numbered = (q: string): string => {
  let i = 0;
  return q.replace(/\?/g, () => `$${++i}`);
};

export async function createPgAuthStore(database: PostgresDatabase): Promise<AuthStore> {
  await migrate(database, 'auth', AUTH_MIGRATIONS);
  const pool = database.pool;
  return authStoreOn({
    all: async <T>(q: string, params: unknown[] = []) => (await pool.query(numbered(q), params)).rows as T[],
    run: async (q, params = []) => (await pool.query(numbered(q), params)).rowCount ?? 0,
    tableExists: async (name) =>
      (await pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name])).rows[0]?.t !=
      null,
  });
}
