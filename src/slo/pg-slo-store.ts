/** SloStore on PostgreSQL (the scale-out backend). Counter batches are one multi-row upsert. */
import type { ServiceState } from '../core/index.js';
import { migrate, pgTransaction, type PostgresDatabase } from '../store/index.js';
import { sloMigrations } from './migrations.js';
import {
  alertFromRow,
  objectFromRow,
  type AlertQuery,
  type AlertRecord,
  type CounterRow,
  type OpenSloObjectRow,
  type SloStore,
} from './slo-store.js';
import type { SloDefinition } from './types.js';

/** Rows per INSERT statement (4 parameters each, well under PostgreSQL's 65,535). */
const BATCH = 2000;

function mergeRows(rows: readonly CounterRow[]): CounterRow[] {
  const m = new Map<string, CounterRow>();
  for (const r of rows) {
    const k = `${r.sloId}\u0000${r.minute}`;
    const prev = m.get(k);
    if (prev) m.set(k, { ...prev, good: prev.good + r.good, total: prev.total + r.total });
    else m.set(k, r);
  }
  return [...m.values()];
}

export class PgSloStore implements SloStore {
  constructor(private readonly d: PostgresDatabase) {}

  private get pool() {
    return this.d.pool;
  }

  async init(): Promise<void> {
    await migrate(this.d, 'slo', sloMigrations);
  }

  async listSlos(): Promise<SloDefinition[]> {
    const r = await this.pool.query<{ definition: SloDefinition }>(
      'SELECT definition FROM slo_definitions ORDER BY id',
    );
    return r.rows.map((x) => x.definition);
  }

  async getSlo(id: string): Promise<SloDefinition | undefined> {
    const r = await this.pool.query<{ definition: SloDefinition }>(
      'SELECT definition FROM slo_definitions WHERE id = $1',
      [id],
    );
    return r.rows[0]?.definition;
  }

  async putSlo(def: SloDefinition, at: number): Promise<boolean> {
    const r = await this.pool.query<{ inserted: boolean }>(
      `INSERT INTO slo_definitions (id, definition, created_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
       RETURNING (xmax = 0) AS inserted`,
      [def.name, JSON.stringify(def), at],
    );
    return r.rows[0]?.inserted === false;
  }

  async deleteSlo(id: string): Promise<boolean> {
    return pgTransaction(this.pool, async (c) => {
      const r = await c.query('DELETE FROM slo_definitions WHERE id = $1', [id]);
      await c.query('DELETE FROM slo_counters WHERE slo_id = $1', [id]);
      await c.query('DELETE FROM slo_alerts WHERE slo_id = $1', [id]);
      await c.query('DELETE FROM slo_budget_flags WHERE slo_id = $1', [id]);
      await c.query("DELETE FROM slo_openslo_objects WHERE kind = 'SLO' AND name = $1", [id]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  async putOpenSloObjects(rows: readonly OpenSloObjectRow[], at: number): Promise<void> {
    if (rows.length === 0) return;
    await pgTransaction(this.pool, async (c) => {
      for (const r of rows)
        await c.query(
          `INSERT INTO slo_openslo_objects (kind, name, document, definition, updated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (kind, name) DO UPDATE SET document = excluded.document, definition = excluded.definition, updated_at = excluded.updated_at`,
          [r.kind, r.name, JSON.stringify(r.document), r.definition ?? null, at],
        );
    });
  }

  async listOpenSloObjects(): Promise<OpenSloObjectRow[]> {
    const r = await this.pool.query<{
      kind: string;
      name: string;
      document: string;
      definition: string | null;
    }>('SELECT kind, name, document, definition FROM slo_openslo_objects ORDER BY seq');
    return r.rows.map(objectFromRow);
  }

  async addCounters(rows: readonly CounterRow[]): Promise<void> {
    if (rows.length === 0) return;
    rows = mergeRows(rows); // one statement may not touch a row twice (ON CONFLICT rule)
    await pgTransaction(this.pool, async (c) => {
      for (let i = 0; i < rows.length; i += BATCH) {
        const chunk = rows.slice(i, i + BATCH);
        const params: unknown[] = [];
        const values = chunk.map((r, j) => {
          params.push(r.sloId, r.minute, r.good, r.total);
          return `($${j * 4 + 1}, $${j * 4 + 2}, $${j * 4 + 3}, $${j * 4 + 4})`;
        });
        await c.query(
          `INSERT INTO slo_counters (slo_id, minute, good, total) VALUES ${values.join(', ')}
           ON CONFLICT (slo_id, minute) DO UPDATE SET good = slo_counters.good + excluded.good, total = slo_counters.total + excluded.total`,
          params,
        );
      }
    });
  }

  async readCounters(sloId: string, from: number, to: number): Promise<CounterRow[]> {
    const r = await this.pool.query<{ minute: string; good: number; total: number }>(
      'SELECT minute, good, total FROM slo_counters WHERE slo_id = $1 AND minute >= $2 AND minute < $3 ORDER BY minute',
      [sloId, from, to],
    );
    return r.rows.map((x) => ({
      sloId,
      minute: Number(x.minute),
      good: Number(x.good),
      total: Number(x.total),
    }));
  }

  async pruneCounters(sloId: string, beforeMinute: number): Promise<number> {
    const r = await this.pool.query('DELETE FROM slo_counters WHERE slo_id = $1 AND minute < $2', [
      sloId,
      beforeMinute,
    ]);
    return r.rowCount ?? 0;
  }

  async openAlert(a: Omit<AlertRecord, 'id' | 'resolvedAt'>): Promise<AlertRecord> {
    const r = await this.pool.query<{ id: string }>(
      'INSERT INTO slo_alerts (slo_id, slo_name, tier, severity, fired_at, resolved_at, burn_rate, threshold) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7) RETURNING id',
      [a.sloId, a.sloName, a.tier, a.severity, a.firedAt, a.burnRate, a.threshold],
    );
    return { ...a, id: Number(r.rows[0]!.id), resolvedAt: null };
  }

  async openAlertIfNone(a: Omit<AlertRecord, 'id' | 'resolvedAt'>): Promise<AlertRecord | undefined> {
    const r = await this.pool.query<{ id: string }>(
      `INSERT INTO slo_alerts (slo_id, slo_name, tier, severity, fired_at, resolved_at, burn_rate, threshold)
       VALUES ($1, $2, $3, $4, $5, NULL, $6, $7)
       ON CONFLICT (slo_id, tier) WHERE resolved_at IS NULL DO NOTHING RETURNING id`,
      [a.sloId, a.sloName, a.tier, a.severity, a.firedAt, a.burnRate, a.threshold],
    );
    const row = r.rows[0];
    return row ? { ...a, id: Number(row.id), resolvedAt: null } : undefined;
  }

  async resolveAlert(id: number, at: number): Promise<boolean> {
    const r = await this.pool.query(
      'UPDATE slo_alerts SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL',
      [at, id],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async listAlerts(q: AlertQuery): Promise<AlertRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.state === 'firing') where.push('resolved_at IS NULL');
    if (q.state === 'resolved') where.push('resolved_at IS NOT NULL');
    if (q.sloId !== undefined) {
      args.push(q.sloId);
      where.push(`slo_id = $${args.length}`);
    }
    if (q.before !== undefined) {
      args.push(q.before);
      where.push(`id < $${args.length}`);
    }
    args.push(q.limit);
    const r = await this.pool.query(
      `SELECT * FROM slo_alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`,
      args,
    );
    return r.rows.map(alertFromRow);
  }

  async getBudgetExhausted(): Promise<Map<string, boolean>> {
    const r = await this.pool.query<{ slo_id: string; exhausted: boolean }>(
      'SELECT slo_id, exhausted FROM slo_budget_flags',
    );
    return new Map(r.rows.map((x) => [x.slo_id, x.exhausted]));
  }

  async setBudgetExhausted(sloId: string, exhausted: boolean, at: number): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO slo_budget_flags (slo_id, exhausted, at) VALUES ($1, $2, $3)
       ON CONFLICT (slo_id) DO UPDATE SET exhausted = excluded.exhausted, at = excluded.at
       WHERE slo_budget_flags.exhausted <> excluded.exhausted`,
      [sloId, exhausted, at],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async getDeviceStates(): Promise<Map<string, ServiceState>> {
    const r = await this.pool.query<{ device_id: string; state: ServiceState }>(
      'SELECT device_id, state FROM slo_device_states',
    );
    return new Map(r.rows.map((x) => [x.device_id, x.state]));
  }

  async setDeviceState(deviceId: string, state: ServiceState, at: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO slo_device_states (device_id, state, at) VALUES ($1, $2, $3)
       ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, at = excluded.at`,
      [deviceId, state, at],
    );
  }

  async deleteDeviceState(deviceId: string): Promise<void> {
    await this.pool.query('DELETE FROM slo_device_states WHERE device_id = $1', [deviceId]);
  }
}
