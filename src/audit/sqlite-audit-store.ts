/** The audit store on SQLite: one transaction per appended batch. */
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteTransaction, type SqliteDatabase } from '../store/index.js';
import {
  AUDIT_TABLE,
  INSERT_COLUMNS,
  auditFromRow,
  auditParams,
  auditWhere,
  type AuditEntry,
  type AuditPage,
  type AuditQuery,
  type AuditStore,
} from './audit-store.js';

export class SqliteAuditStore implements AuditStore {
  private readonly insert: BetterSqlite3.Statement;
  private readonly appendAll: (entries: readonly AuditEntry[]) => void;

  constructor(private readonly db: SqliteDatabase) {
    this.insert = db.db.prepare(
      `INSERT INTO ${AUDIT_TABLE} (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.appendAll = sqliteTransaction(db.db, (entries: readonly AuditEntry[]) => {
      for (const e of entries) this.insert.run(...auditParams(e));
    });
  }

  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length) this.appendAll(entries);
  }

  async list(q: AuditQuery): Promise<AuditPage> {
    const { where, params } = auditWhere(q);
    const rows = this.db.db
      .prepare(`SELECT * FROM ${AUDIT_TABLE} ${where} ORDER BY id DESC LIMIT ? OFFSET ?`)
      .all(...params, q.limit, q.offset) as Record<string, unknown>[];
    const count = this.db.db.prepare(`SELECT COUNT(*) AS n FROM ${AUDIT_TABLE} ${where}`).get(...params) as {
      n: number;
    };
    return { items: rows.map(auditFromRow), total: Number(count.n) };
  }
}
