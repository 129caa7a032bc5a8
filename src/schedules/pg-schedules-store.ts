/** SchedulesStore on PostgreSQL: the shared SQL with `?` rewritten to `$n`. */
import { migrate, type PostgresDatabase } from '../store/index.js';
import { SCHEDULES_MIGRATIONS, SqlSchedulesStore, type SchedulesStore } from './schedules-store.js';

const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export async function createPgSchedulesStore(database: PostgresDatabase): Promise<SchedulesStore> {
  await migrate(database, 'schedules', SCHEDULES_MIGRATIONS);
  const texts = new Map<string, string>();
  const text = (sql: string): string => {
    let t = texts.get(sql);
    if (t === undefined) texts.set(sql, (t = numbered(sql)));
    return t;
  };
  return new SqlSchedulesStore({
    all: async <T>(sql: string, params: unknown[]) =>
      (await database.pool.query(text(sql), params)).rows as T[],
    run: async (sql: string, params: unknown[]) =>
      (await database.pool.query(text(sql), params)).rowCount ?? 0,
  });
}
