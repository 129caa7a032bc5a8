/** JobsStore on the embedded SQLite database. */
import type { SqliteDatabase } from '../store/index.js';
import type { JobsStore } from './jobs-store.js';
import { sqlitePort } from './sql-port.js';
import { openSqlJobsStore } from './sql-jobs-store.js';

export const createSqliteJobsStore = (db: SqliteDatabase): Promise<JobsStore> =>
  openSqlJobsStore(db, sqlitePort(db));
