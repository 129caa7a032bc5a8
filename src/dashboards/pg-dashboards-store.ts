/** The dashboards store on PostgreSQL. */
import type { PostgresDatabase } from '../store/index.js';
import {
  COLUMNS,
  dashboardFromRow,
  dashboardParams,
  isUniqueViolation,
  type DashboardsStore,
} from './dashboards-store.js';

type Row = Record<string, unknown>;

export function pgDashboardsStore({ pool }: PostgresDatabase): DashboardsStore {
  const one = async (sql: string, arg: string): Promise<ReturnType<typeof dashboardFromRow> | undefined> => {
    const r = (await pool.query(sql, [arg])).rows[0] as Row | undefined;
    return r && dashboardFromRow(r);
  };
  const unique = async <T>(fn: () => Promise<T>): Promise<T | 'name_taken'> => {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) return 'name_taken';
      throw err;
    }
  };
  return {
    list: async () =>
      (await pool.query(`SELECT ${COLUMNS} FROM dashboards ORDER BY name, id`)).rows.map((r) =>
        dashboardFromRow(r as Row),
      ),
    get: (id) => one(`SELECT ${COLUMNS} FROM dashboards WHERE id = $1`, id),
    getByName: (name) => one(`SELECT ${COLUMNS} FROM dashboards WHERE name = $1`, name),
    create: (d) =>
      unique(async () => {
        await pool.query(
          `INSERT INTO dashboards (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          dashboardParams(d),
        );
        return 'ok' as const;
      }),
    update: (d) => {
      const [id, name, scope, customer, spec, version, , updatedAt] = dashboardParams(d);
      return unique(async () =>
        (
          await pool.query(
            `UPDATE dashboards SET name = $1, scope = $2, customer = $3, spec_json = $4, version = $5,
             updated_at = $6 WHERE id = $7 AND version = $8`,
            [name, scope, customer, spec, version, updatedAt, id, version - 1],
          )
        ).rowCount === 1
          ? ('ok' as const)
          : ('conflict' as const),
      );
    },
    delete: async (id) => (await pool.query('DELETE FROM dashboards WHERE id = $1', [id])).rowCount === 1,
  };
}
