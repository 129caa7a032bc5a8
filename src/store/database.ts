/**
 * Database handles shared by every module's store adapters. Modules own their tables and their
 * store interfaces; this folder only opens connections, runs migrations and provides the test
 * harness for the contract suites (ARCHITECTURE.md: `store/` holds no business logic).
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface SqliteDatabase {
  readonly kind: 'sqlite';
  readonly db: BetterSqlite3.Database;
  close(): Promise<void>;
}

export interface PostgresDatabase {
  readonly kind: 'postgres';
  readonly pool: pg.Pool;
  /** The schema every table lives in (search_path is set on each connection). */
  readonly schema: string;
  close(): Promise<void>;
}

export type Database = SqliteDatabase | PostgresDatabase;

/**
 * Open the embedded database: one SQLite file in WAL mode. `synchronous=NORMAL` in WAL keeps the
 * database consistent across power loss and durable across process crashes (kill -9); modules
 * that acknowledge durability to clients (QoS 1/2, shadows) use `FULL`-strength commits through
 * `durableSqlite` where the docs say so.
 */
export function openSqlite(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(join(path, '..'), { recursive: true });
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return {
    kind: 'sqlite',
    db,
    close: () => {
      if (db.open) db.close();
      return Promise.resolve();
    },
  };
}

/** Open a PostgreSQL pool; every connection uses `schema` (created if missing). */
export async function openPostgres(url: string, schema = 'public', max = 10): Promise<PostgresDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const boot = new pg.Client({ connectionString: url });
  await boot.connect();
  try {
    await boot.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } finally {
    await boot.end();
  }
  const pool = new pg.Pool({ connectionString: url, max, options: `-c search_path=${schema}` });
  pool.on('error', () => {
    /* an idle client died (server restart); the pool replaces it on next use */
  });
  return { kind: 'postgres', pool, schema, close: () => pool.end() };
}

/** `sqlite` → `<dataDir>/tsunagu.db`; a postgres URL → a pool on it. */
export async function openDatabase(database: string, dataDir: string): Promise<Database> {
  if (database === 'sqlite') return openSqlite(join(dataDir, 'tsunagu.db'));
  const url = new URL(database);
  const schema = url.searchParams.get('schema') ?? 'public';
  url.searchParams.delete('schema');
  return openPostgres(url.toString(), schema);
}
