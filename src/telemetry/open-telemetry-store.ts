/** Pick the adapter for the platform database and apply the telemetry migrations. */
import { migrate, type Database } from '../store/index.js';
import { TELEMETRY_MIGRATIONS } from './migrations.js';
import { createPgTelemetryStore } from './pg-telemetry-store.js';
import { createSqliteTelemetryStore } from './sqlite-telemetry-store.js';
import type { TelemetryStore } from './telemetry-store.js';

export async function openTelemetryStore(db: Database): Promise<TelemetryStore> {
  await migrate(db, 'telemetry', TELEMETRY_MIGRATIONS);
  return db.kind === 'sqlite' ? createSqliteTelemetryStore(db.db) : createPgTelemetryStore(db);
}
