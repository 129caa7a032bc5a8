import { openSqlite } from '../store/index.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { openTelemetryStore } from './open-telemetry-store.js';
import { telemetryStoreContract } from './telemetry-store.contract.js';

telemetryStoreContract(
  'SQLite',
  async () => {
    const db = openSqlite(':memory:');
    return { store: await openTelemetryStore(db), close: () => db.close() };
  },
  40,
);

telemetryStoreContract(
  'PostgreSQL',
  async (t) => {
    if (!(await requirePostgres(t))) return undefined;
    const db = await freshPgSchema('tel');
    return { store: await openTelemetryStore(db), close: () => db.drop() };
  },
  15,
);
