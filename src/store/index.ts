export { openSqlite, openPostgres, openDatabase } from './database.js';
export type { Database, SqliteDatabase, PostgresDatabase } from './database.js';
export { migrate } from './migrations.js';
export type { Migration } from './migrations.js';
export {
  pgTransaction,
  pgClientTransaction,
  sqliteTransaction,
  sqliteAsyncTransaction,
} from './transaction.js';
export {
  PersistedQueue,
  DEFAULT_SWEEP_MS,
  type PersistedQueueOptions,
  type QueuedRow,
} from './persisted-queue.js';
export { registerStoreMetrics } from './metrics.js';
