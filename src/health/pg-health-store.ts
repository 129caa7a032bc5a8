/** HealthStore on PostgreSQL: batches go in one statement each (unnest over arrays). */
import { migrate, pgTransaction, type PostgresDatabase } from '../store/index.js';
import {
  HEALTH_MIGRATIONS,
  toDeviceRow,
  toDowntime,
  toErrorWindow,
  toTransition,
  type DeviceRow,
  type DowntimeRow,
  type ConditionalResult,
  type ErrorWindowDbRow,
  type HealthStore,
  type TransitionRow,
} from './health-store.js';
import type { HealthPolicy } from './policy.js';

export async function createPgHealthStore(database: PostgresDatabase): Promise<HealthStore> {
  await migrate(database, 'health', HEALTH_MIGRATIONS);
  const pool = database.pool;
  return {
    async loadDevices() {
      const r = await pool.query<DeviceRow>('SELECT * FROM health_devices');
      return r.rows.map(toDeviceRow);
    },
    async saveTransitions(batch) {
      if (batch.length === 0) return;
      // The last transition per device wins for the current-state row (a batch may hold several).
      const latest = new Map(batch.map((t) => [t.deviceId, t]));
      await pgTransaction(pool, async (client) => {
        const cur = [...latest.values()];
        await client.query(
          `INSERT INTO health_devices (device_id, state, reasons, since)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
           ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, reasons = excluded.reasons, since = excluded.since`,
          [
            cur.map((t) => t.deviceId),
            cur.map((t) => t.to),
            cur.map((t) => JSON.stringify(t.reasons)),
            cur.map((t) => t.since),
          ],
        );
        await client.query(
          `INSERT INTO health_transitions (device_id, at, from_state, to_state, reasons, actor, note)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
          [
            batch.map((t) => t.deviceId),
            batch.map((t) => t.at),
            batch.map((t) => t.from),
            batch.map((t) => t.to),
            batch.map((t) => JSON.stringify(t.reasons)),
            batch.map((t) => JSON.stringify(t.actor)),
            batch.map((t) => t.note ?? null),
          ],
        );
      });
    },
    saveTransitionIf(change, seen) {
      // When the row changed under us nothing was written: the transaction commits empty.
      return pgTransaction(pool, async (client): Promise<ConditionalResult> => {
        // No row yet counts as in service with no reasons (the column defaults).
        const r = await client.query(
          `INSERT INTO health_devices (device_id, state, reasons, since) VALUES ($1, $2, $3, $4)
           ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, reasons = excluded.reasons, since = excluded.since
           WHERE health_devices.state = $5 AND health_devices.reasons = $6`,
          [
            change.deviceId,
            change.to,
            JSON.stringify(change.reasons),
            change.since,
            seen.state,
            JSON.stringify(seen.reasons),
          ],
        );
        if ((r.rowCount ?? 0) === 0) {
          const cur = await client.query<DeviceRow>('SELECT * FROM health_devices WHERE device_id = $1', [
            change.deviceId,
          ]);
          return { applied: false, current: toDeviceRow(cur.rows[0]!) };
        }
        await client.query(
          `INSERT INTO health_transitions (device_id, at, from_state, to_state, reasons, actor, note)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            change.deviceId,
            change.at,
            change.from,
            change.to,
            JSON.stringify(change.reasons),
            JSON.stringify(change.actor),
            change.note ?? null,
          ],
        );
        return { applied: true };
      });
    },
    async history(deviceId, limit) {
      const r = await pool.query<TransitionRow>(
        'SELECT * FROM health_transitions WHERE device_id = $1 ORDER BY at DESC, id DESC LIMIT $2',
        [deviceId, limit],
      );
      return r.rows.map(toTransition);
    },
    async deleteDevice(deviceId) {
      await pgTransaction(pool, async (client) => {
        await client.query('DELETE FROM health_devices WHERE device_id = $1', [deviceId]);
        await client.query('DELETE FROM health_transitions WHERE device_id = $1', [deviceId]);
        await client.query('DELETE FROM health_error_windows WHERE device_id = $1', [deviceId]);
      });
    },
    async saveErrorWindows(batch) {
      if (batch.length === 0) return;
      // The last window per (device, code) wins; one statement deletes the emptied, one upserts the rest.
      const latest = [...new Map(batch.map((w) => [`${w.deviceId}\u0000${w.code}`, w])).values()];
      const cleared = latest.filter((w) => w.occurrences.length === 0);
      const kept = latest.filter((w) => w.occurrences.length > 0);
      await pool.query(
        `WITH gone AS (
           DELETE FROM health_error_windows w
           USING unnest($1::text[], $2::text[]) AS c(device_id, code)
           WHERE w.device_id = c.device_id AND w.code = c.code
         )
         INSERT INTO health_error_windows (device_id, code, occurrences)
         SELECT * FROM unnest($3::text[], $4::text[], $5::text[])
         ON CONFLICT (device_id, code) DO UPDATE SET occurrences = excluded.occurrences`,
        [
          cleared.map((w) => w.deviceId),
          cleared.map((w) => w.code),
          kept.map((w) => w.deviceId),
          kept.map((w) => w.code),
          kept.map((w) => JSON.stringify(w.occurrences)),
        ],
      );
    },
    async loadErrorWindows() {
      const r = await pool.query<ErrorWindowDbRow>('SELECT * FROM health_error_windows');
      return r.rows.map(toErrorWindow);
    },
    async addDowntime(d) {
      await pool.query('INSERT INTO health_downtimes (from_at, to_at, clean) VALUES ($1, $2, $3)', [
        d.from,
        d.to,
        d.clean ? 1 : 0,
      ]);
    },
    async listDowntimes(limit) {
      const r = await pool.query<DowntimeRow>('SELECT * FROM health_downtimes ORDER BY to_at DESC LIMIT $1', [
        limit,
      ]);
      return r.rows.map(toDowntime);
    },
    async getMeta(key) {
      const r = await pool.query<{ value: string }>('SELECT value FROM health_meta WHERE key = $1', [key]);
      const row = r.rows[0];
      return row === undefined ? undefined : Number(row.value);
    },
    async setMeta(key, value) {
      await pool.query(
        'INSERT INTO health_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [key, value],
      );
    },
    async listPolicies() {
      const r = await pool.query<{ body: string }>('SELECT body FROM health_policies ORDER BY model');
      return r.rows.map((row) => JSON.parse(row.body) as HealthPolicy);
    },
    async putPolicy(p) {
      await pool.query(
        'INSERT INTO health_policies (model, body, updated_at) VALUES ($1, $2, $3) ON CONFLICT (model) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
        [p.model, JSON.stringify(p), p.updatedAt],
      );
    },
    async deletePolicy(model) {
      const r = await pool.query('DELETE FROM health_policies WHERE model = $1', [model]);
      return (r.rowCount ?? 0) > 0;
    },
  };
}
