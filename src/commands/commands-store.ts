/**
 * The commands store interface; SQLite and PostgreSQL adapters pass store.contract.ts. A command
 * is written before it is published, and every transition is written before it is announced.
 */
import type { CommandStatus } from '../core/index.js';
import type { Migration } from '../store/index.js';
import type { CommandRecord, Json } from './types.js';

export interface ListQuery {
  limit: number;
  offset: number;
  status?: CommandStatus;
}

export interface StatsFilter {
  name?: string;
  deviceId?: string;
  model?: string;
  /** requestedAt range, epoch ms: from inclusive, to exclusive. */
  from?: number;
  to?: number;
}

export interface OutcomeRow {
  status: CommandStatus;
  replyLatencyMs: number | null;
  confirmLatencyMs: number | null;
}

export interface CommandStore {
  /** Insert, unless the device already has a command with this idempotency key: then return that one. */
  insert(c: CommandRecord): Promise<{ record: CommandRecord; created: boolean }>;
  /**
   * Write the mutable fields (status, timestamps, latencies, result, error) if the stored status
   * is still `expected` — a compare-and-set, so two nodes (the one holding the device's connection
   * and the owner of its deadline) cannot both finish a command. False: someone else moved it.
   */
  update(c: CommandRecord, expected: CommandStatus): Promise<boolean>;
  get(id: string): Promise<CommandRecord | undefined>;
  byIdempotencyKey(deviceId: string, key: string): Promise<CommandRecord | undefined>;
  /** Newest first. */
  listByDevice(deviceId: string, q: ListQuery): Promise<{ items: CommandRecord[]; total: number }>;
  /** Every command in queued, sent or acknowledged (reloaded at start). */
  pending(): Promise<CommandRecord[]>;
  outcomes(f: StatsFilter): Promise<OutcomeRow[]>;
}

export const COMMAND_MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'commands',
    sqlite: `
      CREATE TABLE commands_commands (
        id TEXT PRIMARY KEY, device_id TEXT NOT NULL, model TEXT, name TEXT NOT NULL, params TEXT NOT NULL,
        status TEXT NOT NULL, idempotency_key TEXT, confirm TEXT, offline TEXT NOT NULL,
        timeout_ms INTEGER NOT NULL, requested_at INTEGER NOT NULL, expires_at INTEGER, sent_at INTEGER,
        deadline INTEGER, replied_at INTEGER, finished_at INTEGER, reply_latency_ms INTEGER,
        confirm_latency_ms INTEGER, result TEXT NOT NULL, error_code TEXT, error_message TEXT,
        actor_kind TEXT NOT NULL, actor_id TEXT NOT NULL);
      CREATE UNIQUE INDEX commands_idempotency ON commands_commands (device_id, idempotency_key);
      CREATE INDEX commands_device ON commands_commands (device_id, requested_at);
      CREATE INDEX commands_requested ON commands_commands (requested_at);
      CREATE INDEX commands_pending ON commands_commands (status) WHERE status IN ('queued', 'sent', 'acknowledged');`,
    postgres: `
      CREATE TABLE commands_commands (
        id TEXT PRIMARY KEY, device_id TEXT NOT NULL, model TEXT, name TEXT NOT NULL, params TEXT NOT NULL,
        status TEXT NOT NULL, idempotency_key TEXT, confirm TEXT, offline TEXT NOT NULL,
        timeout_ms BIGINT NOT NULL, requested_at BIGINT NOT NULL, expires_at BIGINT, sent_at BIGINT,
        deadline BIGINT, replied_at BIGINT, finished_at BIGINT, reply_latency_ms BIGINT,
        confirm_latency_ms BIGINT, result TEXT NOT NULL, error_code TEXT, error_message TEXT,
        actor_kind TEXT NOT NULL, actor_id TEXT NOT NULL);
      CREATE UNIQUE INDEX commands_idempotency ON commands_commands (device_id, idempotency_key);
      CREATE INDEX commands_device ON commands_commands (device_id, requested_at);
      CREATE INDEX commands_requested ON commands_commands (requested_at);
      CREATE INDEX commands_pending ON commands_commands (status) WHERE status IN ('queued', 'sent', 'acknowledged');`,
  },
];

export interface CommandRow {
  id: string;
  device_id: string;
  model: string | null;
  name: string;
  params: string;
  status: string;
  idempotency_key: string | null;
  confirm: string | null;
  offline: string;
  timeout_ms: number | string;
  requested_at: number | string;
  expires_at: number | string | null;
  sent_at: number | string | null;
  deadline: number | string | null;
  replied_at: number | string | null;
  finished_at: number | string | null;
  reply_latency_ms: number | string | null;
  confirm_latency_ms: number | string | null;
  result: string;
  error_code: string | null;
  error_message: string | null;
  actor_kind: string;
  actor_id: string;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function rowToCommand(r: CommandRow): CommandRecord {
  return {
    id: r.id,
    deviceId: r.device_id,
    model: r.model,
    name: r.name,
    params: JSON.parse(r.params) as Json,
    status: r.status as CommandStatus,
    idempotencyKey: r.idempotency_key,
    confirm: r.confirm === null ? null : (JSON.parse(r.confirm) as CommandRecord['confirm']),
    offline: r.offline === 'queue' ? 'queue' : 'reject',
    timeoutMs: Number(r.timeout_ms),
    requestedAt: Number(r.requested_at),
    expiresAt: num(r.expires_at),
    sentAt: num(r.sent_at),
    deadline: num(r.deadline),
    repliedAt: num(r.replied_at),
    finishedAt: num(r.finished_at),
    replyLatencyMs: num(r.reply_latency_ms),
    confirmLatencyMs: num(r.confirm_latency_ms),
    result: JSON.parse(r.result) as Json,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    actor: { kind: r.actor_kind as CommandRecord['actor']['kind'], id: r.actor_id },
  };
}

/** Column values in INSERT order. */
export function commandValues(c: CommandRecord): (string | number | null)[] {
  return [
    c.id,
    c.deviceId,
    c.model,
    c.name,
    JSON.stringify(c.params),
    c.status,
    c.idempotencyKey,
    c.confirm === null ? null : JSON.stringify(c.confirm),
    c.offline,
    c.timeoutMs,
    c.requestedAt,
    c.expiresAt,
    c.sentAt,
    c.deadline,
    c.repliedAt,
    c.finishedAt,
    c.replyLatencyMs,
    c.confirmLatencyMs,
    JSON.stringify(c.result),
    c.errorCode,
    c.errorMessage,
    c.actor.kind,
    c.actor.id,
  ];
}

export const INSERT_COLUMNS =
  'id, device_id, model, name, params, status, idempotency_key, confirm, offline, timeout_ms, requested_at, expires_at, sent_at, deadline, replied_at, finished_at, reply_latency_ms, confirm_latency_ms, result, error_code, error_message, actor_kind, actor_id';

/** The mutable columns for `update`, in order, followed by the id and the expected status. */
export function updateValues(c: CommandRecord, expected: CommandStatus): (string | number | null)[] {
  return [
    c.status,
    c.expiresAt,
    c.sentAt,
    c.deadline,
    c.repliedAt,
    c.finishedAt,
    c.replyLatencyMs,
    c.confirmLatencyMs,
    JSON.stringify(c.result),
    c.errorCode,
    c.errorMessage,
    c.id,
    expected,
  ];
}

export const UPDATE_COLUMNS = [
  'status',
  'expires_at',
  'sent_at',
  'deadline',
  'replied_at',
  'finished_at',
  'reply_latency_ms',
  'confirm_latency_ms',
  'result',
  'error_code',
  'error_message',
];

export function statsWhere(f: StatsFilter, placeholder: (i: number) => string) {
  const clauses: string[] = [];
  const args: (string | number)[] = [];
  const add = (sql: string, v: string | number): void => {
    args.push(v);
    clauses.push(sql.replace('?', placeholder(args.length)));
  };
  if (f.name !== undefined) add('name = ?', f.name);
  if (f.deviceId !== undefined) add('device_id = ?', f.deviceId);
  if (f.model !== undefined) add('model = ?', f.model);
  if (f.from !== undefined) add('requested_at >= ?', f.from);
  if (f.to !== undefined) add('requested_at < ?', f.to);
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', args };
}
