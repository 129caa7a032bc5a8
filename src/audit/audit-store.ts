/**
 * The audit log's store: append entries (one transaction per call, all or nothing) and read them
 * newest first. The SQL differs per adapter only in placeholders; the row mapping and the query
 * rules live here, once.
 */
export interface AuditEntry {
  id?: number;
  at: number;
  /** `token` (API changes), `device`, `system` … */
  actorKind: string;
  actorId: string;
  /** Token name (API changes); null for events from other modules. */
  actorName: string | null;
  action: string;
  resource: string;
  before: unknown;
  after: unknown;
}

export interface AuditQuery {
  actor?: string;
  /** `devices/d1` matches itself and everything under it (`devices/d1/credentials/…`). */
  resource?: string;
  limit: number;
  offset: number;
}

export interface AuditPage {
  items: AuditEntry[];
  total: number;
}

export interface AuditStore {
  /** Durable when it resolves; rejects (and writes none of them) when the batch cannot be written. */
  append(entries: readonly AuditEntry[]): Promise<void>;
  list(q: AuditQuery): Promise<AuditPage>;
}

/** The table keeps the name it had when the registry owned it, so existing data directories read on. */
export const AUDIT_TABLE = 'registry_audit';

export type AuditParam = string | number | null;
type Row = Record<string, unknown>;

export const INSERT_COLUMNS =
  'at, actor_kind, actor_id, actor_name, action, resource, before_json, after_json';

const jsonText = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

export function auditParams(e: AuditEntry): AuditParam[] {
  return [
    e.at,
    e.actorKind,
    e.actorId,
    e.actorName,
    e.action,
    e.resource,
    jsonText(e.before),
    jsonText(e.after),
  ];
}

const num = (v: unknown): number => Number(v);
const text = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('utf8') : (v as string));
const json = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(text(v)));

export function auditFromRow(r: Row): AuditEntry {
  return {
    id: num(r.id),
    at: num(r.at),
    actorKind: String(r.actor_kind),
    actorId: String(r.actor_id),
    actorName: r.actor_name === null || r.actor_name === undefined ? null : text(r.actor_name),
    action: String(r.action),
    resource: String(r.resource),
    before: json(r.before_json),
    after: json(r.after_json),
  };
}

const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The WHERE clause of a query with `?` placeholders (the PostgreSQL adapter numbers them). */
export function auditWhere(q: AuditQuery): { where: string; params: AuditParam[] } {
  const where: string[] = [];
  const params: AuditParam[] = [];
  if (q.actor !== undefined) {
    where.push('actor_id = ?');
    params.push(q.actor);
  }
  if (q.resource !== undefined) {
    where.push("(resource = ? OR resource LIKE ? ESCAPE '\\')");
    params.push(q.resource, `${likeEscape(q.resource)}/%`);
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}
