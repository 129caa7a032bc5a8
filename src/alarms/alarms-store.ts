/**
 * The alarms store: one row per alarm (ThingsBoard's model: ACTIVE_UNACK → ACTIVE_ACK, and either
 * one → CLEARED_*). At most one *active* alarm per (source, originator, type): `active_key` holds
 * that triple while the alarm is active and NULL once cleared, under a UNIQUE index (NULLs never
 * collide in SQLite or PostgreSQL), so a repeat raise is one atomic upsert that bumps `count` and
 * `last_seen` instead of inserting. The row mapping and the WHERE builder live here, once.
 */
import type { Severity } from '../core/index.js';

/** Where an alarm came from. */
export type AlarmSource =
  | 'health' // a device taken out of service
  | 'slo' // an SLO burn-rate alert tier firing
  | 'rule'; // raised by a rule's `alarm` action

export const ALARM_SOURCES: readonly AlarmSource[] = ['health', 'slo', 'rule'];

/** ThingsBoard's alarm states. */
export type AlarmState =
  | 'ACTIVE_UNACK' // the condition holds; nobody has acknowledged it
  | 'ACTIVE_ACK' // the condition holds; someone acknowledged it
  | 'CLEARED_UNACK' // the condition ended (or was cleared by hand) before anyone acknowledged it
  | 'CLEARED_ACK'; // acknowledged and cleared: nothing left to do

export const ALARM_STATES: readonly AlarmState[] = [
  'ACTIVE_UNACK',
  'ACTIVE_ACK',
  'CLEARED_UNACK',
  'CLEARED_ACK',
];
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error', 'critical'];

export interface Alarm {
  id: number;
  source: AlarmSource;
  /** What the alarm is about: the device id, the SLO id, or `rule:<name>` for a rule alarm on no device. */
  originator: string;
  deviceId: string | null;
  sloId: string | null;
  ruleId: string | null;
  severity: Severity;
  /** The reason, e.g. `out_of_service`, `burn_rate:fast`, a rule's alarm name. */
  type: string;
  message: string;
  state: AlarmState;
  /** Raises of this active alarm (1 at first). */
  count: number;
  raisedAt: number;
  lastSeen: number;
  ackBy: string | null;
  ackAt: number | null;
  clearedBy: string | null;
  clearedAt: number | null;
  details: Record<string, unknown>;
}

/** A raise as the feed or a rule gives it. */
export interface AlarmRaise {
  source: AlarmSource;
  originator: string;
  deviceId?: string;
  sloId?: string;
  ruleId?: string;
  severity: Severity;
  type: string;
  message: string;
  at: number;
  details?: Record<string, unknown>;
}

export interface AlarmQuery {
  states?: AlarmState[];
  source?: AlarmSource;
  severity?: Severity;
  deviceId?: string;
  /** Only alarms on these devices (a customer's scope); an empty list matches nothing. */
  deviceIn?: string[];
  /** raisedAt ≥ since, or still being seen since then (lastSeen ≥ since). */
  since?: number;
  /** Ids below this one (the previous page's last id): newest first, stable under inserts. */
  before?: number;
  limit: number;
}

export interface AlarmCount {
  source: AlarmSource;
  severity: Severity;
  n: number;
}

export interface AlarmsStore {
  /** Insert, or bump count/lastSeen/severity/message of the active alarm with the same key. */
  raise(r: AlarmRaise): Promise<{ alarm: Alarm; created: boolean }>;
  get(id: number): Promise<Alarm | undefined>;
  list(q: AlarmQuery): Promise<Alarm[]>;
  /** The active alarm for (source, originator, type), if any. */
  findActive(source: AlarmSource, originator: string, type: string): Promise<Alarm | undefined>;
  /**
   * Move an alarm from one of `from` to its next state, conditionally (compare-and-set on the
   * state): undefined when the alarm is missing or no longer in one of `from`.
   */
  transition(
    id: number,
    from: readonly AlarmState[],
    change: { kind: 'ack' | 'clear'; by: string; at: number },
  ): Promise<Alarm | undefined>;
  /** Active alarms by source and severity (metrics, the console's badge). */
  countActive(): Promise<AlarmCount[]>;
}

export type AlarmParam = string | number | null;
export type AlarmRow = Record<string, unknown>;

/** Unambiguous for any ids (JSON), and free of NUL, which PostgreSQL text refuses. */
export const activeKey = (source: string, originator: string, type: string): string =>
  JSON.stringify([source, originator, type]);

export const ACTIVE_STATES: readonly AlarmState[] = ['ACTIVE_UNACK', 'ACTIVE_ACK'];

/** The state an ack or a clear leads to from each state it is legal in. */
export const NEXT: Record<'ack' | 'clear', Partial<Record<AlarmState, AlarmState>>> = {
  ack: { ACTIVE_UNACK: 'ACTIVE_ACK', CLEARED_UNACK: 'CLEARED_ACK' },
  clear: { ACTIVE_UNACK: 'CLEARED_UNACK', ACTIVE_ACK: 'CLEARED_ACK' },
};

export const INSERT_COLUMNS =
  'active_key, source, originator, device_id, slo_id, rule_id, severity, type, message, state, count, raised_at, last_seen, details_json';

export function raiseParams(r: AlarmRaise): AlarmParam[] {
  return [
    activeKey(r.source, r.originator, r.type),
    r.source,
    r.originator,
    r.deviceId ?? null,
    r.sloId ?? null,
    r.ruleId ?? null,
    r.severity,
    r.type,
    r.message,
    'ACTIVE_UNACK',
    1,
    r.at,
    r.at,
    JSON.stringify(r.details ?? {}),
  ];
}

/** The upsert's update part (same text for both adapters: `excluded` is standard in both). */
export const ON_REPEAT = `ON CONFLICT (active_key) DO UPDATE SET
  count = alarms.count + 1,
  last_seen = excluded.last_seen,
  severity = excluded.severity,
  message = excluded.message,
  details_json = excluded.details_json`;

const num = (v: unknown): number => Number(v); // PostgreSQL returns BIGINT as a string
const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string =>
  typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : JSON.stringify(v);
const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : str(v));

export function alarmFromRow(r: AlarmRow): Alarm {
  return {
    id: num(r.id),
    source: String(r.source) as AlarmSource,
    originator: String(r.originator),
    deviceId: optStr(r.device_id),
    sloId: optStr(r.slo_id),
    ruleId: optStr(r.rule_id),
    severity: String(r.severity) as Severity,
    type: String(r.type),
    message: String(r.message),
    state: String(r.state) as AlarmState,
    count: num(r.count),
    raisedAt: num(r.raised_at),
    lastSeen: num(r.last_seen),
    ackBy: optStr(r.ack_by),
    ackAt: optNum(r.ack_at),
    clearedBy: optStr(r.cleared_by),
    clearedAt: optNum(r.cleared_at),
    details: JSON.parse(
      r.details_json === null || r.details_json === undefined ? '{}' : str(r.details_json),
    ) as Record<string, unknown>,
  };
}

const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** The WHERE clause of a list query with `?` placeholders (the PostgreSQL adapter numbers them). */
export function alarmWhere(q: AlarmQuery): { where: string; params: AlarmParam[] } {
  const where: string[] = [];
  const params: AlarmParam[] = [];
  if (q.states?.length) {
    where.push(`state IN (${marks(q.states.length)})`);
    params.push(...q.states);
  }
  if (q.source !== undefined) {
    where.push('source = ?');
    params.push(q.source);
  }
  if (q.severity !== undefined) {
    where.push('severity = ?');
    params.push(q.severity);
  }
  if (q.deviceId !== undefined) {
    where.push('device_id = ?');
    params.push(q.deviceId);
  }
  if (q.deviceIn !== undefined) {
    if (!q.deviceIn.length) where.push('1 = 0');
    else {
      where.push(`device_id IN (${marks(q.deviceIn.length)})`);
      params.push(...q.deviceIn);
    }
  }
  if (q.since !== undefined) {
    where.push('last_seen >= ?');
    params.push(q.since);
  }
  if (q.before !== undefined) {
    where.push('id < ?');
    params.push(q.before);
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** The SET clause of an ack or a clear (clearing also frees the active key for a new alarm). */
export function transitionSet(kind: 'ack' | 'clear'): string {
  const state = `state = ${nextStateCase(kind)}`;
  return kind === 'ack'
    ? `${state}, ack_by = ?, ack_at = ?`
    : `${state}, cleared_by = ?, cleared_at = ?, active_key = NULL`;
}

/** `CASE state WHEN 'ACTIVE_UNACK' THEN 'ACTIVE_ACK' … END` for a transition. */
export function nextStateCase(kind: 'ack' | 'clear'): string {
  const arms = Object.entries(NEXT[kind])
    .map(([from, to]) => `WHEN '${from}' THEN '${to}'`)
    .join(' ');
  return `CASE state ${arms} END`;
}
