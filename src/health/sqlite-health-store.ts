/** HealthStore on the embedded SQLite database (better-sqlite3, synchronous, batched transactions). */
import { migrate, sqliteTransaction, type SqliteDatabase } from '../store/index.js';
import {
  HEALTH_MIGRATIONS,
  toDeviceRow,
  toDowntime,
  toErrorWindow,
  toTransition,
  type DeviceRow,
  type DowntimeRow,
  type ErrorWindowDbRow,
  type ConditionalResult,
  type ErrorWindowRow,
  type HealthStore,
  type StateChange,
  type TransitionRow,
} from './health-store.js';
import type { HealthPolicy } from './policy.js';

export async function createSqliteHealthStore(database: SqliteDatabase): Promise<HealthStore> {
  await migrate(database, 'health', HEALTH_MIGRATIONS);
  const db = database.db;
  const upsertState = db.prepare(
    `INSERT INTO health_devices (device_id, state, reasons, since) VALUES (?, ?, ?, ?)
     ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, reasons = excluded.reasons, since = excluded.since`,
  );
  const insertTransition = db.prepare(
    'INSERT INTO health_transitions (device_id, at, from_state, to_state, reasons, actor, note) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const stateTx = sqliteTransaction(db, (batch: readonly StateChange[]) => {
    for (const t of batch) {
      const reasons = JSON.stringify(t.reasons);
      upsertState.run(t.deviceId, t.to, reasons, t.since);
      insertTransition.run(t.deviceId, t.at, t.from, t.to, reasons, JSON.stringify(t.actor), t.note ?? null);
    }
  });
  const upsertWindow = db.prepare(
    `INSERT INTO health_error_windows (device_id, code, occurrences) VALUES (?, ?, ?)
     ON CONFLICT (device_id, code) DO UPDATE SET occurrences = excluded.occurrences`,
  );
  const deleteWindow = db.prepare('DELETE FROM health_error_windows WHERE device_id = ? AND code = ?');
  const windowTx = sqliteTransaction(db, (batch: readonly ErrorWindowRow[]) => {
    for (const w of batch)
      if (w.occurrences.length === 0) deleteWindow.run(w.deviceId, w.code);
      else upsertWindow.run(w.deviceId, w.code, JSON.stringify(w.occurrences));
  });
  return {
    async loadDevices() {
      return (db.prepare('SELECT * FROM health_devices').all() as DeviceRow[]).map(toDeviceRow);
    },
    async saveTransitions(batch) {
      if (batch.length > 0) stateTx(batch);
    },
    async saveTransitionIf(change, seen) {
      return sqliteTransaction(db, (): ConditionalResult => {
        const row = db.prepare('SELECT * FROM health_devices WHERE device_id = ?').get(change.deviceId) as
          DeviceRow | undefined;
        const cur = row ? toDeviceRow(row) : undefined;
        if (cur && (cur.state !== seen.state || JSON.stringify(cur.reasons) !== JSON.stringify(seen.reasons)))
          return { applied: false, current: cur };
        stateTx([change]);
        return { applied: true };
      })();
    },
    async history(deviceId, limit) {
      const rows = db
        .prepare('SELECT * FROM health_transitions WHERE device_id = ? ORDER BY at DESC, id DESC LIMIT ?')
        .all(deviceId, limit) as TransitionRow[];
      return rows.map(toTransition);
    },
    async deleteDevice(deviceId) {
      sqliteTransaction(db, () => {
        db.prepare('DELETE FROM health_devices WHERE device_id = ?').run(deviceId);
        db.prepare('DELETE FROM health_transitions WHERE device_id = ?').run(deviceId);
        db.prepare('DELETE FROM health_error_windows WHERE device_id = ?').run(deviceId);
      })();
    },
    async saveErrorWindows(batch) {
      if (batch.length > 0) windowTx(batch);
    },
    async loadErrorWindows() {
      const rows = db.prepare('SELECT * FROM health_error_windows').all() as ErrorWindowDbRow[];
      return rows.map(toErrorWindow);
    },
    async addDowntime(d) {
      db.prepare('INSERT INTO health_downtimes (from_at, to_at, clean) VALUES (?, ?, ?)').run(
        d.from,
        d.to,
        d.clean ? 1 : 0,
      );
    },
    async listDowntimes(limit) {
      const rows = db
        .prepare('SELECT * FROM health_downtimes ORDER BY to_at DESC LIMIT ?')
        .all(limit) as DowntimeRow[];
      return rows.map(toDowntime);
    },
    async getMeta(key) {
      const r = db.prepare('SELECT value FROM health_meta WHERE key = ?').get(key) as
        { value: number } | undefined;
      return r === undefined ? undefined : Number(r.value);
    },
    async setMeta(key, value) {
      db.prepare(
        'INSERT INTO health_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ).run(key, value);
    },
    async listPolicies() {
      const rows = db.prepare('SELECT body FROM health_policies ORDER BY model').all() as { body: string }[];
      return rows.map((r) => JSON.parse(r.body) as HealthPolicy);
    },
    async putPolicy(p) {
      db.prepare(
        'INSERT INTO health_policies (model, body, updated_at) VALUES (?, ?, ?) ON CONFLICT (model) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
      ).run(p.model, JSON.stringify(p), p.updatedAt);
    },
    async deletePolicy(model) {
      return db.prepare('DELETE FROM health_policies WHERE model = ?').run(model).changes > 0;
    },
  };
}
