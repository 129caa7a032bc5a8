import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { openSloStore } from './open-slo-store.js';
import { sloStoreContract, type OpenSloStore } from './slo-store.contract.js';

const adapters: [string, OpenSloStore][] = [
  [
    'sqlite',
    async (t) => {
      const db = openSqlite(':memory:');
      t.after(() => db.close());
      return openSloStore(db);
    },
  ],
  [
    'postgres',
    async (t) => {
      if (!(await requirePostgres(t))) return undefined;
      const db = await freshPgSchema('slo');
      t.after(() => db.drop());
      return openSloStore(db);
    },
  ],
];

for (const [name, open] of adapters) sloStoreContract(name, open);
