import { describe } from 'node:test';
import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { createPgSchedulesStore } from './pg-schedules-store.js';
import { schedulesStoreContract } from './schedules-store.contract.js';
import { createSqliteSchedulesStore } from './sqlite-schedules-store.js';

describe('SchedulesStore on SQLite', () => {
  schedulesStoreContract(async (t) => {
    const db = openSqlite(':memory:');
    t.after(() => db.close());
    return createSqliteSchedulesStore(db);
  });
});

describe('SchedulesStore on PostgreSQL', () => {
  schedulesStoreContract(async (t) => {
    if (!(await requirePostgres(t))) return undefined;
    const db = await freshPgSchema('schedules');
    t.after(() => db.drop());
    return createPgSchedulesStore(db);
  });
});
