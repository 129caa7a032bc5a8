import { migrate, type Database } from '../store/index.js';
import type { AlarmsStore } from './alarms-store.js';
import { alarmsMigrations } from './migrations.js';
import { pgAlarmsStore } from './pg-alarms-store.js';
import { sqliteAlarmsStore } from './sqlite-alarms-store.js';

/** Migrate the alarms table and open the adapter for this database. */
export async function openAlarmsStore(db: Database): Promise<AlarmsStore> {
  await migrate(db, 'alarms', alarmsMigrations);
  return db.kind === 'sqlite' ? sqliteAlarmsStore(db) : pgAlarmsStore(db);
}
