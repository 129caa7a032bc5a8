/** The alarms store on PostgreSQL: the same statements as SQLite with numbered placeholders. */
import type { PostgresDatabase } from '../store/index.js';
import {
  ACTIVE_STATES,
  INSERT_COLUMNS,
  ON_REPEAT,
  activeKey,
  alarmFromRow,
  alarmWhere,
  raiseParams,
  transitionSet,
  type AlarmCount,
  type AlarmRow,
  type AlarmsStore,
} from './alarms-store.js';

/** `?` → `$1, $2 …` (the alarm SQL holds no literal question mark). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const RAISE = numbered(
  `INSERT INTO alarms (${INSERT_COLUMNS}) VALUES (${INSERT_COLUMNS.split(',')
    .map(() => '?')
    .join(', ')}) ${ON_REPEAT} RETURNING *`,
);

export function pgAlarmsStore({ pool }: PostgresDatabase): AlarmsStore {
  const one = async (sql: string, params: unknown[]) => {
    const r = await pool.query(sql, params);
    const row = r.rows[0] as AlarmRow | undefined;
    return row && alarmFromRow(row);
  };
  return {
    async raise(r) {
      const alarm = (await one(RAISE, raiseParams(r)))!;
      return { alarm, created: alarm.count === 1 };
    },
    get: (id) => one('SELECT * FROM alarms WHERE id = $1', [id]),
    async list(q) {
      const { where, params } = alarmWhere(q);
      const r = await pool.query(numbered(`SELECT * FROM alarms ${where} ORDER BY id DESC LIMIT ?`), [
        ...params,
        q.limit,
      ]);
      return r.rows.map((row) => alarmFromRow(row as AlarmRow));
    },
    findActive: (source, originator, type) =>
      one('SELECT * FROM alarms WHERE active_key = $1', [activeKey(source, originator, type)]),
    transition: (id, from, change) =>
      one(
        numbered(
          `UPDATE alarms SET ${transitionSet(change.kind)} WHERE id = ? AND state IN (${from.map(() => '?').join(', ')}) RETURNING *`,
        ),
        [change.by, change.at, id, ...from],
      ),
    async countActive() {
      const r = await pool.query(
        `SELECT source, severity, COUNT(*) AS n FROM alarms WHERE state IN ('${ACTIVE_STATES.join("', '")}') GROUP BY source, severity`,
      );
      return (r.rows as AlarmRow[]).map((row): AlarmCount => ({
        source: row.source as AlarmCount['source'],
        severity: row.severity as AlarmCount['severity'],
        n: Number(row.n),
      }));
    },
  };
}
