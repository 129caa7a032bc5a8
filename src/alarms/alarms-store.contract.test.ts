import { describe, test } from 'node:test';
import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { alarmsStoreContract } from './alarms-store.contract.js';
import { openAlarmsStore } from './open-alarms-store.js';

describe('alarms store contract: SQLite', () => {
  for (const [name, fn] of alarmsStoreContract)
    test(name, async () => {
      const db = openSqlite(':memory:');
      try {
        await fn(await openAlarmsStore(db));
      } finally {
        await db.close();
      }
    });
});

describe('alarms store contract: PostgreSQL', () => {
  for (const [name, fn] of alarmsStoreContract)
    test(name, async (t) => {
      if (!(await requirePostgres(t))) return;
      const db = await freshPgSchema('alarms');
      try {
        await fn(await openAlarmsStore(db));
      } finally {
        await db.drop();
      }
    });
});
