/** JobsStore on PostgreSQL. */
import type { PostgresDatabase } from '../store/index.js';
import type { JobsStore } from './jobs-store.js';
import { pgPort } from './sql-port.js';
import { openSqlJobsStore } from './sql-jobs-store.js';

export const createPgJobsStore = (db: PostgresDatabase): Promise<JobsStore> =>
  openSqlJobsStore(db, pgPort(db));
