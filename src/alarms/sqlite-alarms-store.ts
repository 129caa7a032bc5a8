/** The alarms store on SQLite (better-sqlite3, synchronous). */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from '../store/index.js';
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

export function sqliteAlarmsStore({ db }: SqliteDatabase): AlarmsStore {
  // `created`: a fresh row has count 1; a repeat bumped it (an alarm's count only grows).
  const raise = db.prepare(
    `INSERT INTO alarms (${INSERT_COLUMNS}) VALUES (${INSERT_COLUMNS.split(',')
      .map(() => '?')
      .join(', ')}) ${ON_REPEAT} RETURNING *`,
  );
  const get = db.prepare('SELECT * FROM alarms WHERE id = ?');
  const active = db.prepare('SELECT * FROM alarms WHERE active_key = ?');
  const counts = db.prepare(
    `SELECT source, severity, COUNT(*) AS n FROM alarms WHERE state IN ('${ACTIVE_STATES.join("', '")}') GROUP BY source, severity`,
  );
  const transitions = new Map<string, BetterSqlite3.Statement>();
  return {
    async raise(r) {
      const alarm = alarmFromRow(raise.get(...raiseParams(r)) as AlarmRow);
      return { alarm, created: alarm.count === 1 };
    },
    async get(id) {
      const r = get.get(id) as AlarmRow | undefined;
      return r && alarmFromRow(r);
    },
    async list(q) {
      const { where, params } = alarmWhere(q);
      const rows = db
        .prepare(`SELECT * FROM alarms ${where} ORDER BY id DESC LIMIT ?`)
        .all(...params, q.limit) as AlarmRow[];
      return rows.map(alarmFromRow);
    },
    async findActive(source, originator, type) {
      const r = active.get(activeKey(source, originator, type)) as AlarmRow | undefined;
      return r && alarmFromRow(r);
    },
    async transition(id, from, change) {
      const sql = `UPDATE alarms SET ${transitionSet(change.kind)} WHERE id = ? AND state IN (${from.map(() => '?').join(', ')}) RETURNING *`;
      let stmt = transitions.get(sql);
      if (!stmt) transitions.set(sql, (stmt = db.prepare(sql)));
      const r = stmt.get(change.by, change.at, id, ...from) as AlarmRow | undefined;
      return r && alarmFromRow(r);
    },
    async countActive() {
      return (counts.all() as AlarmRow[]).map((r): AlarmCount => ({
        source: r.source as AlarmCount['source'],
        severity: r.severity as AlarmCount['severity'],
        n: Number(r.n),
      }));
    },
  };
}
