/**
 * The schedules store: schedules (JSON documents with a version for compare-and-set), executions
 * (unique per schedule, device and slot, so a slot is executed once fleet-wide even when two nodes
 * race) and overrides. The logic lives once in `SqlSchedulesStore`; the adapters only supply a
 * runner (placeholders and migrations differ, nothing else).
 */
import type { Migration } from '../store/index.js';
import type { Execution, ExecutionStatus, Override } from './execution.js';
import type { Schedule } from './types.js';

export interface ExecutionQuery {
  scheduleId?: string;
  deviceId?: string;
  status?: ExecutionStatus;
  limit: number;
  offset: number;
}

export interface SchedulesStore {
  create(s: Schedule): Promise<void>;
  /** Replace when the stored version is `expectedVersion`; false otherwise. */
  update(s: Schedule, expectedVersion: number): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  get(id: string): Promise<Schedule | undefined>;
  list(): Promise<Schedule[]>;

  /** Insert unless (scheduleId, deviceId, slotAt) exists; false when it did. */
  insertExecution(e: Execution): Promise<boolean>;
  /**
   * Insert many in one statement per `EXECUTION_BATCH` rows, skipping any whose (scheduleId,
   * deviceId, slotAt) exists; returns the ids inserted. A slot firing for a large fleet costs one
   * round trip per batch instead of one per device (PostgreSQL).
   */
  insertExecutions(es: readonly Execution[]): Promise<Set<string>>;
  /** Write `e` when the stored row still has `expected.status` and `expected.attempts`. */
  updateExecution(e: Execution, expected: Pick<Execution, 'status' | 'attempts'>): Promise<boolean>;
  /**
   * `updateExecution` for many rows, one statement per `EXECUTION_BATCH` (`UPDATE … FROM (VALUES
   * …) RETURNING id`); each row is still its own compare-and-set. Returns the ids written.
   */
  updateExecutions(
    changes: readonly { e: Execution; expected: Pick<Execution, 'status' | 'attempts'> }[],
  ): Promise<Set<string>>;
  getExecution(id: string): Promise<Execution | undefined>;
  findExecution(scheduleId: string, deviceId: string, slotAt: number): Promise<Execution | undefined>;
  /** Open (`sent`/`offline`) executions, optionally of one schedule or device. */
  openExecutions(filter?: { scheduleId?: string; deviceId?: string }): Promise<Execution[]>;
  listExecutions(q: ExecutionQuery): Promise<{ items: Execution[]; total: number }>;

  putOverride(o: Override): Promise<void>;
  getOverride(scheduleId: string, deviceId: string): Promise<Override | undefined>;
  listOverrides(scheduleId: string): Promise<Override[]>;
  clearOverride(scheduleId: string, deviceId: string): Promise<boolean>;
}

/** What an adapter provides: SQL with `?` placeholders, in the adapter's dialect after rewriting. */
export interface SqlRunner {
  all<T>(sql: string, params: unknown[]): Promise<T[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params: unknown[]): Promise<number>;
}

const table = (big: string): string => `
CREATE TABLE schedules (id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL,
  body TEXT NOT NULL, created_at ${big} NOT NULL, updated_at ${big} NOT NULL);
CREATE TABLE schedule_executions (id TEXT PRIMARY KEY, schedule_id TEXT NOT NULL, device_id TEXT NOT NULL,
  shadow_name TEXT NOT NULL, slot_at ${big} NOT NULL, slot_date TEXT NOT NULL, slot_time TEXT NOT NULL,
  kind TEXT NOT NULL, patch TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
  next_check_at ${big}, reason TEXT, created_at ${big} NOT NULL, updated_at ${big} NOT NULL, finished_at ${big},
  UNIQUE (schedule_id, device_id, slot_at));
CREATE INDEX schedule_executions_device ON schedule_executions (device_id, slot_at);
CREATE INDEX schedule_executions_schedule ON schedule_executions (schedule_id, slot_at);
CREATE INDEX schedule_executions_open ON schedule_executions (status) WHERE status IN ('sent', 'offline');
CREATE TABLE schedule_overrides (schedule_id TEXT NOT NULL, device_id TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (schedule_id, device_id));`;

export const SCHEDULES_MIGRATIONS: Migration[] = [
  { id: 1, name: 'schedules, executions, overrides', sqlite: table('INTEGER'), postgres: table('BIGINT') },
];

interface ExecutionRow {
  id: string;
  schedule_id: string;
  device_id: string;
  shadow_name: string;
  slot_at: number | string;
  slot_date: string;
  slot_time: string;
  kind: string;
  patch: string;
  status: string;
  attempts: number | string;
  next_check_at: number | string | null;
  reason: string | null;
  created_at: number | string;
  updated_at: number | string;
  finished_at: number | string | null;
}

const EXEC_COLUMNS =
  'id, schedule_id, device_id, shadow_name, slot_at, slot_date, slot_time, kind, patch, status, attempts, next_check_at, reason, created_at, updated_at, finished_at';
const num = (v: number | string): number => Number(v);
const numOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

function toExecution(r: ExecutionRow): Execution {
  return {
    id: r.id,
    scheduleId: r.schedule_id,
    deviceId: r.device_id,
    shadowName: r.shadow_name,
    slotAt: num(r.slot_at),
    slotDate: r.slot_date,
    slotTime: r.slot_time,
    kind: r.kind as Execution['kind'],
    patch: JSON.parse(r.patch) as Execution['patch'],
    status: r.status as ExecutionStatus,
    attempts: num(r.attempts),
    nextCheckAt: numOrNull(r.next_check_at),
    reason: r.reason,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    finishedAt: numOrNull(r.finished_at),
  };
}

const executionValues = (e: Execution): unknown[] => [
  e.id,
  e.scheduleId,
  e.deviceId,
  e.shadowName,
  e.slotAt,
  e.slotDate,
  e.slotTime,
  e.kind,
  JSON.stringify(e.patch),
  e.status,
  e.attempts,
  e.nextCheckAt,
  e.reason,
  e.createdAt,
  e.updatedAt,
  e.finishedAt,
];

/** Rows per multi-row INSERT: 16 columns × 400 stays under both engines' parameter limits. */
export const EXECUTION_BATCH = 400;

export class SqlSchedulesStore implements SchedulesStore {
  constructor(private readonly sql: SqlRunner) {}

  async create(s: Schedule): Promise<void> {
    await this.sql.run(
      'INSERT INTO schedules (id, name, version, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [s.id, s.name, s.version, JSON.stringify(s), s.createdAt, s.updatedAt],
    );
  }

  async update(s: Schedule, expectedVersion: number): Promise<boolean> {
    const n = await this.sql.run(
      'UPDATE schedules SET name = ?, version = ?, body = ?, updated_at = ? WHERE id = ? AND version = ?',
      [s.name, s.version, JSON.stringify(s), s.updatedAt, s.id, expectedVersion],
    );
    return n > 0;
  }

  async delete(id: string): Promise<boolean> {
    await this.sql.run('DELETE FROM schedule_overrides WHERE schedule_id = ?', [id]);
    return (await this.sql.run('DELETE FROM schedules WHERE id = ?', [id])) > 0;
  }

  async get(id: string): Promise<Schedule | undefined> {
    const r = await this.sql.all<{ body: string }>('SELECT body FROM schedules WHERE id = ?', [id]);
    return r[0] ? (JSON.parse(r[0].body) as Schedule) : undefined;
  }

  async list(): Promise<Schedule[]> {
    const rows = await this.sql.all<{ body: string }>('SELECT body FROM schedules ORDER BY name, id', []);
    return rows.map((r) => JSON.parse(r.body) as Schedule);
  }

  async insertExecution(e: Execution): Promise<boolean> {
    const marks = EXEC_COLUMNS.split(',')
      .map(() => '?')
      .join(', ');
    const n = await this.sql.run(
      `INSERT INTO schedule_executions (${EXEC_COLUMNS}) VALUES (${marks}) ON CONFLICT DO NOTHING`,
      executionValues(e),
    );
    return n > 0;
  }

  async insertExecutions(es: readonly Execution[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    const row = `(${EXEC_COLUMNS.split(',')
      .map(() => '?')
      .join(', ')})`;
    for (let i = 0; i < es.length; i += EXECUTION_BATCH) {
      const batch = es.slice(i, i + EXECUTION_BATCH);
      const rows = await this.sql.all<{ id: string }>(
        `INSERT INTO schedule_executions (${EXEC_COLUMNS}) VALUES ${batch.map(() => row).join(', ')}
          ON CONFLICT DO NOTHING RETURNING id`,
        batch.flatMap(executionValues),
      );
      for (const r of rows) inserted.add(r.id);
    }
    return inserted;
  }

  async updateExecution(e: Execution, expected: Pick<Execution, 'status' | 'attempts'>): Promise<boolean> {
    const n = await this.sql.run(
      `UPDATE schedule_executions SET patch = ?, status = ?, attempts = ?, next_check_at = ?, reason = ?,
        updated_at = ?, finished_at = ? WHERE id = ? AND status = ? AND attempts = ?`,
      [
        JSON.stringify(e.patch),
        e.status,
        e.attempts,
        e.nextCheckAt,
        e.reason,
        e.updatedAt,
        e.finishedAt,
        e.id,
        expected.status,
        expected.attempts,
      ],
    );
    return n > 0;
  }

  async updateExecutions(
    changes: readonly { e: Execution; expected: Pick<Execution, 'status' | 'attempts'> }[],
  ): Promise<Set<string>> {
    const written = new Set<string>();
    for (let i = 0; i < changes.length; i += EXECUTION_BATCH) {
      const batch = changes.slice(i, i + EXECUTION_BATCH);
      // VALUES columns are column1… on both SQLite and PostgreSQL (text there: cast back).
      const rows = await this.sql.all<{ id: string }>(
        `UPDATE schedule_executions SET patch = v.column2, status = v.column3,
          attempts = CAST(v.column4 AS INTEGER), next_check_at = CAST(v.column5 AS BIGINT), reason = v.column6,
          updated_at = CAST(v.column7 AS BIGINT), finished_at = CAST(v.column8 AS BIGINT)
          FROM (VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}) AS v
          WHERE schedule_executions.id = v.column1 AND schedule_executions.status = v.column9
            AND schedule_executions.attempts = CAST(v.column10 AS INTEGER)
          RETURNING schedule_executions.id`,
        batch.flatMap(({ e, expected }) => [
          e.id,
          JSON.stringify(e.patch),
          e.status,
          e.attempts,
          e.nextCheckAt,
          e.reason,
          e.updatedAt,
          e.finishedAt,
          expected.status,
          expected.attempts,
        ]),
      );
      for (const r of rows) written.add(r.id);
    }
    return written;
  }

  private async executions(where: string, params: unknown[], tail = ''): Promise<Execution[]> {
    const rows = await this.sql.all<ExecutionRow>(
      `SELECT ${EXEC_COLUMNS} FROM schedule_executions ${where} ${tail}`,
      params,
    );
    return rows.map(toExecution);
  }

  async getExecution(id: string): Promise<Execution | undefined> {
    return (await this.executions('WHERE id = ?', [id]))[0];
  }

  async findExecution(scheduleId: string, deviceId: string, slotAt: number): Promise<Execution | undefined> {
    return (
      await this.executions('WHERE schedule_id = ? AND device_id = ? AND slot_at = ?', [
        scheduleId,
        deviceId,
        slotAt,
      ])
    )[0];
  }

  async openExecutions(filter: { scheduleId?: string; deviceId?: string } = {}): Promise<Execution[]> {
    const { where, params } = whereOf({ ...filter });
    const open = `status IN ('sent', 'offline')`;
    return this.executions(where ? `${where} AND ${open}` : `WHERE ${open}`, params, 'ORDER BY slot_at, id');
  }

  async listExecutions(q: ExecutionQuery): Promise<{ items: Execution[]; total: number }> {
    const { where, params } = whereOf(q);
    const total = await this.sql.all<{ n: number | string }>(
      `SELECT count(*) AS n FROM schedule_executions ${where}`,
      params,
    );
    const items = await this.executions(
      where,
      [...params, q.limit, q.offset],
      'ORDER BY slot_at DESC, device_id LIMIT ? OFFSET ?',
    );
    return { items, total: Number(total[0]?.n ?? 0) };
  }

  async putOverride(o: Override): Promise<void> {
    await this.sql.run(
      `INSERT INTO schedule_overrides (schedule_id, device_id, body) VALUES (?, ?, ?)
        ON CONFLICT (schedule_id, device_id) DO UPDATE SET body = excluded.body`,
      [o.scheduleId, o.deviceId, JSON.stringify(o)],
    );
  }

  async getOverride(scheduleId: string, deviceId: string): Promise<Override | undefined> {
    const r = await this.sql.all<{ body: string }>(
      'SELECT body FROM schedule_overrides WHERE schedule_id = ? AND device_id = ?',
      [scheduleId, deviceId],
    );
    return r[0] ? (JSON.parse(r[0].body) as Override) : undefined;
  }

  async listOverrides(scheduleId: string): Promise<Override[]> {
    const r = await this.sql.all<{ body: string }>(
      'SELECT body FROM schedule_overrides WHERE schedule_id = ? ORDER BY device_id',
      [scheduleId],
    );
    return r.map((x) => JSON.parse(x.body) as Override);
  }

  async clearOverride(scheduleId: string, deviceId: string): Promise<boolean> {
    return (
      (await this.sql.run('DELETE FROM schedule_overrides WHERE schedule_id = ? AND device_id = ?', [
        scheduleId,
        deviceId,
      ])) > 0
    );
  }
}

function whereOf(q: { scheduleId?: string; deviceId?: string; status?: string }): {
  where: string;
  params: unknown[];
} {
  const pairs: [string, unknown][] = [
    ['schedule_id', q.scheduleId],
    ['device_id', q.deviceId],
    ['status', q.status],
  ];
  const given = pairs.filter(([, v]) => v !== undefined);
  const conds = given.map(([c]) => `${c} = ?`);
  const params = given.map(([, v]) => v);
  return { where: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}
