import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { createCommandStore } from './index.js';
import { commandStoreContract } from './commands-store.contract.js';

commandStoreContract('sqlite', async () => {
  const db = openSqlite(':memory:');
  return { store: await createCommandStore({ db }), close: () => db.close() };
});

commandStoreContract('postgres', async (t) => {
  if (!(await requirePostgres(t))) return undefined;
  const db = await freshPgSchema('commands');
  return { store: await createCommandStore({ db }), close: () => db.drop() };
});
