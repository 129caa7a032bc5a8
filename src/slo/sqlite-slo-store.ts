/** SloStore on the embedded SQLite database (better-sqlite3, synchronous). */
import type { ServiceState } from '../core/index.js';
import { migrate, sqliteTransaction, type SqliteDatabase } from '../store/index.js';
import { sloMigrations } from './migrations.js';
import {
  alertFromRow,
  objectFromRow,
  type AlertQuery,
  type AlertRecord,
  type AlertRow,
  type CounterRow,
  type OpenSloObjectRow,
  type SloStore,
} from './slo-store.js';
import type { SloDefinition } from './types.js';

export class SqliteSloStore implements SloStore {
  constructor(private readonly d: SqliteDatabase) {}

  private get db() {
    return this.d.db;
  }

  async init(): Promise<void> {
    await migrate(this.d, 'slo', sloMigrations);
  }

  async listSlos(): Promise<SloDefinition[]> {
    const rows = this.db.prepare('SELECT definition FROM slo_definitions ORDER BY id').all() as {
      definition: string;
    }[];
    return rows.map((r) => JSON.parse(r.definition) as SloDefinition);
  }

  async getSlo(id: string): Promise<SloDefinition | undefined> {
    const r = this.db.prepare('SELECT definition FROM slo_definitions WHERE id = ?').get(id) as
      { definition: string } | undefined;
    return r ? (JSON.parse(r.definition) as SloDefinition) : undefined;
  }

  async putSlo(def: SloDefinition, at: number): Promise<boolean> {
    const existed = this.db.prepare('SELECT 1 FROM slo_definitions WHERE id = ?').get(def.name) !== undefined;
    this.db
      .prepare(
        `INSERT INTO slo_definitions (id, definition, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`,
      )
      .run(def.name, JSON.stringify(def), at, at);
    return existed;
  }

  async deleteSlo(id: string): Promise<boolean> {
    return sqliteTransaction(this.db, () => {
      const n = this.db.prepare('DELETE FROM slo_definitions WHERE id = ?').run(id).changes;
      this.db.prepare('DELETE FROM slo_counters WHERE slo_id = ?').run(id);
      this.db.prepare('DELETE FROM slo_alerts WHERE slo_id = ?').run(id);
      this.db.prepare('DELETE FROM slo_budget_flags WHERE slo_id = ?').run(id);
      this.db.prepare("DELETE FROM slo_openslo_objects WHERE kind = 'SLO' AND name = ?").run(id);
      return n > 0;
    })();
  }

  async putOpenSloObjects(rows: readonly OpenSloObjectRow[], at: number): Promise<void> {
    const stmt = this.db.prepare(
      `INSERT INTO slo_openslo_objects (kind, name, document, definition, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (kind, name) DO UPDATE SET document = excluded.document, definition = excluded.definition, updated_at = excluded.updated_at`,
    );
    sqliteTransaction(this.db, () => {
      for (const r of rows) stmt.run(r.kind, r.name, JSON.stringify(r.document), r.definition ?? null, at);
    })();
  }

  async listOpenSloObjects(): Promise<OpenSloObjectRow[]> {
    const rows = this.db
      .prepare('SELECT kind, name, document, definition FROM slo_openslo_objects ORDER BY seq')
      .all() as { kind: string; name: string; document: string; definition: string | null }[];
    return rows.map(objectFromRow);
  }

  async addCounters(rows: readonly CounterRow[]): Promise<void> {
    if (rows.length === 0) return;
    const stmt = this.db.prepare(
      `INSERT INTO slo_counters (slo_id, minute, good, total) VALUES (?, ?, ?, ?)
       ON CONFLICT (slo_id, minute) DO UPDATE SET good = good + excluded.good, total = total + excluded.total`,
    );
    sqliteTransaction(this.db, () => {
      for (const r of rows) stmt.run(r.sloId, r.minute, r.good, r.total);
    })();
  }

  async readCounters(sloId: string, from: number, to: number): Promise<CounterRow[]> {
    const rows = this.db
      .prepare(
        'SELECT minute, good, total FROM slo_counters WHERE slo_id = ? AND minute >= ? AND minute < ? ORDER BY minute',
      )
      .raw()
      .all(sloId, from, to) as [number, number, number][];
    return rows.map(([minute, good, total]) => ({ sloId, minute, good, total }));
  }

  async pruneCounters(sloId: string, beforeMinute: number): Promise<number> {
    return this.db
      .prepare('DELETE FROM slo_counters WHERE slo_id = ? AND minute < ?')
      .run(sloId, beforeMinute).changes;
  }

  async openAlert(a: Omit<AlertRecord, 'id' | 'resolvedAt'>): Promise<AlertRecord> {
    const res = this.db
      .prepare(
        'INSERT INTO slo_alerts (slo_id, slo_name, tier, severity, fired_at, resolved_at, burn_rate, threshold) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)',
      )
      .run(a.sloId, a.sloName, a.tier, a.severity, a.firedAt, a.burnRate, a.threshold);
    return { ...a, id: Number(res.lastInsertRowid), resolvedAt: null };
  }

  async openAlertIfNone(a: Omit<AlertRecord, 'id' | 'resolvedAt'>): Promise<AlertRecord | undefined> {
    const res = this.db
      .prepare(
        `INSERT INTO slo_alerts (slo_id, slo_name, tier, severity, fired_at, resolved_at, burn_rate, threshold)
         VALUES (?, ?, ?, ?, ?, NULL, ?, ?) ON CONFLICT (slo_id, tier) WHERE resolved_at IS NULL DO NOTHING`,
      )
      .run(a.sloId, a.sloName, a.tier, a.severity, a.firedAt, a.burnRate, a.threshold);
    return res.changes > 0 ? { ...a, id: Number(res.lastInsertRowid), resolvedAt: null } : undefined;
  }

  async resolveAlert(id: number, at: number): Promise<boolean> {
    const res = this.db
      .prepare('UPDATE slo_alerts SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL')
      .run(at, id);
    return res.changes > 0;
  }

  async listAlerts(q: AlertQuery): Promise<AlertRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.state === 'firing') where.push('resolved_at IS NULL');
    if (q.state === 'resolved') where.push('resolved_at IS NOT NULL');
    if (q.sloId !== undefined) {
      where.push('slo_id = ?');
      args.push(q.sloId);
    }
    if (q.before !== undefined) {
      where.push('id < ?');
      args.push(q.before);
    }
    const sql = `SELECT * FROM slo_alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as AlertRow[]).map(alertFromRow);
  }

  async getBudgetExhausted(): Promise<Map<string, boolean>> {
    const rows = this.db.prepare('SELECT slo_id, exhausted FROM slo_budget_flags').all() as {
      slo_id: string;
      exhausted: number;
    }[];
    return new Map(rows.map((r) => [r.slo_id, r.exhausted === 1]));
  }

  async setBudgetExhausted(sloId: string, exhausted: boolean, at: number): Promise<boolean> {
    const res = this.db
      .prepare(
        `INSERT INTO slo_budget_flags (slo_id, exhausted, at) VALUES (?, ?, ?)
         ON CONFLICT (slo_id) DO UPDATE SET exhausted = excluded.exhausted, at = excluded.at
         WHERE slo_budget_flags.exhausted <> excluded.exhausted`,
      )
      .run(sloId, exhausted ? 1 : 0, at);
    return res.changes > 0;
  }

  async getDeviceStates(): Promise<Map<string, ServiceState>> {
    const rows = this.db.prepare('SELECT device_id, state FROM slo_device_states').raw().all() as [
      string,
      ServiceState,
    ][];
    return new Map(rows);
  }

  async setDeviceState(deviceId: string, state: ServiceState, at: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO slo_device_states (device_id, state, at) VALUES (?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, at = excluded.at`,
      )
      .run(deviceId, state, at);
  }

  async deleteDeviceState(deviceId: string): Promise<void> {
    this.db.prepare('DELETE FROM slo_device_states WHERE device_id = ?').run(deviceId);
  }
}
