/** SQLite adapter of the commands store (better-sqlite3, synchronous). */
import type { SqliteDatabase } from '../store/index.js';
import {
  commandValues,
  INSERT_COLUMNS,
  rowToCommand,
  statsWhere,
  UPDATE_COLUMNS,
  updateValues,
  type CommandRow,
  type CommandStore,
  type OutcomeRow,
} from './commands-store.js';
import type { CommandRecord } from './types.js';

export function sqliteCommandStore(database: SqliteDatabase): CommandStore {
  const db = database.db;
  const insert = db.prepare(
    `INSERT INTO commands_commands (${INSERT_COLUMNS}) VALUES (${Array(23).fill('?').join(', ')})
     ON CONFLICT (device_id, idempotency_key) DO NOTHING`,
  );
  const update = db.prepare(
    `UPDATE commands_commands SET ${UPDATE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ? AND status = ?`,
  );
  const getStmt = db.prepare('SELECT * FROM commands_commands WHERE id = ?');
  const byKey = db.prepare('SELECT * FROM commands_commands WHERE device_id = ? AND idempotency_key = ?');
  const one = (row: unknown): CommandRecord | undefined =>
    row ? rowToCommand(row as CommandRow) : undefined;

  return {
    insert(c) {
      const r = insert.run(...commandValues(c));
      if (r.changes > 0) return Promise.resolve({ record: c, created: true });
      const existing = one(byKey.get(c.deviceId, c.idempotencyKey));
      if (!existing) throw new Error(`command ${c.id} was neither inserted nor found`);
      return Promise.resolve({ record: existing, created: false });
    },
    update(c, expected) {
      return Promise.resolve(update.run(...updateValues(c, expected)).changes > 0);
    },
    get: (id) => Promise.resolve(one(getStmt.get(id))),
    byIdempotencyKey: (deviceId, key) => Promise.resolve(one(byKey.get(deviceId, key))),
    listByDevice(deviceId, q) {
      const where = q.status ? 'device_id = ? AND status = ?' : 'device_id = ?';
      const args = q.status ? [deviceId, q.status] : [deviceId];
      const total = (
        db.prepare(`SELECT COUNT(*) AS n FROM commands_commands WHERE ${where}`).get(...args) as { n: number }
      ).n;
      const rows = db
        .prepare(
          `SELECT * FROM commands_commands WHERE ${where} ORDER BY requested_at DESC, id LIMIT ? OFFSET ?`,
        )
        .all(...args, q.limit, q.offset) as CommandRow[];
      return Promise.resolve({ items: rows.map(rowToCommand), total });
    },
    pending() {
      const rows = db
        .prepare(
          `SELECT * FROM commands_commands WHERE status IN ('queued', 'sent', 'acknowledged') ORDER BY requested_at`,
        )
        .all() as CommandRow[];
      return Promise.resolve(rows.map(rowToCommand));
    },
    outcomes(f) {
      const w = statsWhere(f, () => '?');
      const rows = db
        .prepare(
          `SELECT status, reply_latency_ms AS r, confirm_latency_ms AS c FROM commands_commands ${w.sql}`,
        )
        .all(...w.args) as { status: OutcomeRow['status']; r: number | null; c: number | null }[];
      return Promise.resolve(
        rows.map((x) => ({ status: x.status, replyLatencyMs: x.r, confirmLatencyMs: x.c })),
      );
    },
  };
}
