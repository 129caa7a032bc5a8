import { describe, test } from 'node:test';
import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { dashboardsStoreContract } from './dashboards-store.contract.js';
import { openDashboardsStore } from './open-dashboards-store.js';

describe('dashboards store contract: SQLite', () => {
  for (const [name, fn] of dashboardsStoreContract)
    test(name, async () => {
      const db = openSqlite(':memory:');
      try {
        await fn(await openDashboardsStore(db));
      } finally {
        await db.close();
      }
    });
});

describe('dashboards store contract: PostgreSQL', () => {
  for (const [name, fn] of dashboardsStoreContract)
    test(name, async (t) => {
      if (!(await requirePostgres(t))) return;
      const db = await freshPgSchema('dashboards');
      try {
        await fn(await openDashboardsStore(db));
      } finally {
        await db.drop();
      }
    });
});
