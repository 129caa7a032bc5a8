import { describe, test } from 'node:test';
import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { auditStoreContract } from './audit-store.contract.js';
import { openAuditStore } from './open-audit-store.js';

describe('audit store contract: SQLite', () => {
  for (const [name, fn] of auditStoreContract)
    test(name, async () => {
      const db = openSqlite(':memory:');
      try {
        await fn(await openAuditStore(db));
      } finally {
        await db.close();
      }
    });
});

describe('audit store contract: PostgreSQL', () => {
  for (const [name, fn] of auditStoreContract)
    test(name, async (t) => {
      if (!(await requirePostgres(t))) return;
      const db = await freshPgSchema('audit');
      try {
        await fn(await openAuditStore(db));
      } finally {
        await db.drop();
      }
    });
});
