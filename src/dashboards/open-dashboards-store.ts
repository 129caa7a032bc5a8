import { migrate, type Database } from '../store/index.js';
import { DASHBOARDS_MIGRATIONS, type DashboardsStore } from './dashboards-store.js';
import { pgDashboardsStore } from './pg-dashboards-store.js';
import { sqliteDashboardsStore } from './sqlite-dashboards-store.js';

/** Migrate the dashboards table and open the adapter for this database. */
export async function openDashboardsStore(db: Database): Promise<DashboardsStore> {
  await migrate(db, 'dashboards', DASHBOARDS_MIGRATIONS);
  return db.kind === 'sqlite' ? sqliteDashboardsStore(db) : pgDashboardsStore(db);
}
