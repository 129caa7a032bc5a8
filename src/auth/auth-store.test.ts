import { describe } from 'node:test';
import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { authStoreContract } from './auth-store.contract.js';
import { createPgAuthStore } from './pg-auth-store.js';
import { createSqliteAuthStore } from './sqlite-auth-store.js';

describe('AuthStore on SQLite', () => {
  authStoreContract(async (t) => {
    const db = openSqlite(':memory:');
    t.after(() => db.close());
    return createSqliteAuthStore(db);
  });
});

describe('AuthStore on PostgreSQL', () => {
  authStoreContract(async (t) => {
    if (!(await requirePostgres(t))) return undefined;
    const db = await freshPgSchema('auth');
    t.after(() => db.drop());
    return createPgAuthStore(db);
  });
});
