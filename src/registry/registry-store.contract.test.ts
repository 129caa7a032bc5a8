import { describe, test } from 'node:test';
import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { storeContract } from './registry-store.contract.js';
import { openRegistryStore } from './registry-store.js';

describe('registry store contract: SQLite', () => {
  for (const [name, fn] of storeContract)
    test(name, async () => {
      const db = openSqlite(':memory:');
      try {
        await fn(await openRegistryStore(db));
      } finally {
        await db.close();
      }
    });
});

describe('registry store contract: PostgreSQL', () => {
  for (const [name, fn] of storeContract)
    test(name, async (t) => {
      if (!(await requirePostgres(t))) return;
      const db = await freshPgSchema('registry');
      try {
        await fn(await openRegistryStore(db));
      } finally {
        await db.drop();
      }
    });
});
