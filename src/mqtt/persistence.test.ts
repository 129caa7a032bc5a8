import { describe } from 'node:test';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { openSqlite } from '../store/database.js';
import { persistenceContract } from './persistence.contract.js';
import { MemoryPersistence } from './persistence.js';
import { SqlitePersistence } from './persistence-sqlite.js';
import { PostgresPersistence } from './persistence-pg.js';

describe('MemoryPersistence', () => {
  persistenceContract('memory', async () => {
    const p = new MemoryPersistence();
    await p.init();
    return p;
  });
});

describe('SqlitePersistence', () => {
  persistenceContract('sqlite', async () => {
    const p = new SqlitePersistence(openSqlite(':memory:'));
    await p.init();
    return p;
  });
});

describe('PostgresPersistence', () => {
  persistenceContract('postgres', async (t) => {
    if (!(await requirePostgres(t))) return undefined;
    const db = await freshPgSchema('mqtt');
    t.after(() => db.drop());
    const p = new PostgresPersistence(db);
    await p.init();
    return p;
  });
});
