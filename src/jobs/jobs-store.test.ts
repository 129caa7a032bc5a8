import { describe } from 'node:test';
import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { jobsStoreContract } from './jobs-store.contract.js';
import { createPgJobsStore } from './pg-jobs-store.js';
import { createSqliteJobsStore } from './sqlite-jobs-store.js';

describe('JobsStore contract', () => {
  jobsStoreContract('sqlite', async (t) => {
    const db = openSqlite(':memory:');
    t.after(() => db.close());
    return createSqliteJobsStore(db);
  });
  jobsStoreContract('postgres', async (t) => {
    if (!(await requirePostgres(t))) return undefined;
    const db = await freshPgSchema('jobs');
    t.after(() => db.drop());
    return createPgJobsStore(db);
  });
});
