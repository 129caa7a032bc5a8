import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { createPgHealthStore } from './pg-health-store.js';
import { createSqliteHealthStore } from './sqlite-health-store.js';
import { healthStoreContract, type OpenHealthStore } from './health-store.contract.js';

const adapters: [string, OpenHealthStore][] = [
  [
    'sqlite',
    async (t) => {
      const db = openSqlite(':memory:');
      t.after(() => db.close());
      return createSqliteHealthStore(db);
    },
  ],
  [
    'postgres',
    async (t) => {
      if (!(await requirePostgres(t))) return undefined;
      const db = await freshPgSchema('health');
      t.after(() => db.drop());
      return createPgHealthStore(db);
    },
  ],
];

for (const [name, open] of adapters) healthStoreContract(name, open);
