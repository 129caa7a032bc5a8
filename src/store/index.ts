export { openSqlite, openPostgres, openDatabase } from './database.js';
export type { Database, SqliteDatabase, PostgresDatabase } from './database.js';
export { migrate } from './migrations.js';
export type { Migration } from './migrations.js';
export { registerStoreMetrics } from './metrics.js';
