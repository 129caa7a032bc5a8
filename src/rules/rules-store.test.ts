import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { openRulesStore } from './open-store.js';
import { rulesStoreContract } from './rules-store.contract.js';

rulesStoreContract('sqlite', async (t) => {
  const db = openSqlite(':memory:');
  t.after(() => db.close());
  return openRulesStore(db);
});

rulesStoreContract('postgres', async (t) => {
  if (!(await requirePostgres(t))) return undefined;
  const db = await freshPgSchema('rules');
  t.after(() => db.drop());
  return openRulesStore(db);
});
