import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { createPgNotifyStore } from './pg-notify-store.js';
import { createSqliteNotifyStore } from './sqlite-notify-store.js';
import { notifyStoreContract, type OpenNotifyStore } from './notify-store.contract.js';

const adapters: [string, OpenNotifyStore][] = [
  [
    'sqlite',
    async (t) => {
      const db = openSqlite(':memory:');
      t.after(() => db.close());
      return createSqliteNotifyStore(db);
    },
  ],
  [
    'postgres',
    async (t) => {
      if (!(await requirePostgres(t))) return undefined;
      const db = await freshPgSchema('notify');
      t.after(() => db.drop());
      return createPgNotifyStore(db);
    },
  ],
];

for (const [name, open] of adapters) notifyStoreContract(name, open);
