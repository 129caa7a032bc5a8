/**
 * PostgreSQL adapter of the commands store. The idempotency key is enforced by a unique index
 * (device_id, idempotency_key), so two nodes accepting the same key still create one command.
 */
import type { PostgresDatabase } from '../store/index.js';
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

export function pgCommandStore(database: PostgresDatabase): CommandStore {
  const pool = database.pool;
  const placeholders = Array.from({ length: 23 }, (_, i) => `$${i + 1}`).join(', ');
  const setList = UPDATE_COLUMNS.map((c, i) => `${c} = $${i + 1}`).join(', ');

  async function byKey(deviceId: string, key: string) {
    const r = await pool.query<CommandRow>(
      'SELECT * FROM commands_commands WHERE device_id = $1 AND idempotency_key = $2',
      [deviceId, key],
    );
    return r.rows[0] ? rowToCommand(r.rows[0]) : undefined;
  }

  return {
    async insert(c) {
      const r = await pool.query(
        `INSERT INTO commands_commands (${INSERT_COLUMNS}) VALUES (${placeholders})
         ON CONFLICT (device_id, idempotency_key) DO NOTHING`,
        commandValues(c),
      );
      if ((r.rowCount ?? 0) > 0) return { record: c, created: true };
      const existing = c.idempotencyKey === null ? undefined : await byKey(c.deviceId, c.idempotencyKey);
      if (!existing) throw new Error(`command ${c.id} was neither inserted nor found`);
      return { record: existing, created: false };
    },
    async update(c, expected) {
      const n = UPDATE_COLUMNS.length;
      const r = await pool.query(
        `UPDATE commands_commands SET ${setList} WHERE id = $${n + 1} AND status = $${n + 2}`,
        updateValues(c, expected),
      );
      return (r.rowCount ?? 0) > 0;
    },
    async get(id) {
      const r = await pool.query<CommandRow>('SELECT * FROM commands_commands WHERE id = $1', [id]);
      return r.rows[0] ? rowToCommand(r.rows[0]) : undefined;
    },
    byIdempotencyKey: byKey,
    async listByDevice(deviceId, q) {
      const where = q.status ? 'device_id = $1 AND status = $2' : 'device_id = $1';
      const args: (string | number)[] = q.status ? [deviceId, q.status] : [deviceId];
      const total = await pool.query<{ n: string }>(
        `SELECT COUNT(*) AS n FROM commands_commands WHERE ${where}`,
        args,
      );
      const n = args.length;
      const rows = await pool.query<CommandRow>(
        `SELECT * FROM commands_commands WHERE ${where} ORDER BY requested_at DESC, id LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...args, q.limit, q.offset],
      );
      return { items: rows.rows.map(rowToCommand), total: Number(total.rows[0]?.n ?? 0) };
    },
    async pending() {
      const r = await pool.query<CommandRow>(
        `SELECT * FROM commands_commands WHERE status IN ('queued', 'sent', 'acknowledged') ORDER BY requested_at`,
      );
      return r.rows.map(rowToCommand);
    },
    async outcomes(f) {
      const w = statsWhere(f, (i) => `$${i}`);
      const r = await pool.query<{ status: OutcomeRow['status']; r: string | null; c: string | null }>(
        `SELECT status, reply_latency_ms AS r, confirm_latency_ms AS c FROM commands_commands ${w.sql}`,
        w.args,
      );
      return r.rows.map((x) => ({
        status: x.status,
        replyLatencyMs: x.r === null ? null : Number(x.r),
        confirmLatencyMs: x.c === null ? null : Number(x.c),
      }));
    },
  };
}
