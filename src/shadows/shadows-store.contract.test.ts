import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { createShadowStore } from './index.js';
import { shadowStoreContract } from './shadows-store.contract.js';

shadowStoreContract('sqlite', async () => {
  const db = openSqlite(':memory:');
  return { store: await createShadowStore({ db }), close: () => db.close() };
});

shadowStoreContract('postgres', async (t) => {
  if (!(await requirePostgres(t))) return undefined;
  const db = await freshPgSchema('shadows');
  return { store: await createShadowStore({ db }), close: () => db.drop() };
});
