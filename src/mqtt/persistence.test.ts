import { describe } from 'node:test';
import { openSqlite } from '../store/database.js';
import { persistenceContract } from './persistence.contract.js';
import { MemoryPersistence } from './persistence.js';
import { SqlitePersistence } from './persistence-sqlite.js';

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
