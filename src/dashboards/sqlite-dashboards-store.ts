/** The dashboards store on SQLite (better-sqlite3, synchronous). */
import type { SqliteDatabase } from '../store/index.js';
import {
  COLUMNS,
  dashboardFromRow,
  dashboardParams,
  isUniqueViolation,
  type DashboardsStore,
} from './dashboards-store.js';

type Row = Record<string, unknown>;

export function sqliteDashboardsStore({ db }: SqliteDatabase): DashboardsStore {
  const list = db.prepare(`SELECT ${COLUMNS} FROM dashboards ORDER BY name, id`);
  const get = db.prepare(`SELECT ${COLUMNS} FROM dashboards WHERE id = ?`);
  const byName = db.prepare(`SELECT ${COLUMNS} FROM dashboards WHERE name = ?`);
  const insert = db.prepare(`INSERT INTO dashboards (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const update = db.prepare(
    `UPDATE dashboards SET name = ?, scope = ?, customer = ?, spec_json = ?, version = ?, updated_at = ?
     WHERE id = ? AND version = ?`,
  );
  const del = db.prepare('DELETE FROM dashboards WHERE id = ?');
  const unique = <T>(fn: () => T): T | 'name_taken' => {
    try {
      return fn();
    } catch (err) {
      if (isUniqueViolation(err)) return 'name_taken';
      throw err;
    }
  };
  return {
    list: async () => (list.all() as Row[]).map(dashboardFromRow),
    get: async (id) => {
      const r = get.get(id) as Row | undefined;
      return r && dashboardFromRow(r);
    },
    getByName: async (name) => {
      const r = byName.get(name) as Row | undefined;
      return r && dashboardFromRow(r);
    },
    create: async (d) => unique(() => (insert.run(...dashboardParams(d)), 'ok' as const)),
    update: async (d) => {
      const [id, name, scope, customer, spec, version, , updatedAt] = dashboardParams(d);
      return unique(() =>
        update.run(name, scope, customer, spec, version, updatedAt, id, version - 1).changes === 1
          ? ('ok' as const)
          : ('conflict' as const),
      );
    },
    delete: async (id) => del.run(id).changes === 1,
  };
}
