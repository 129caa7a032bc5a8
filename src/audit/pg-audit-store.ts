/** The audit store on PostgreSQL: one transaction per appended batch. */
import { pgTransaction, type PostgresDatabase } from '../store/index.js';
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

/** `?` → `$1, $2 …` (the audit SQL holds no literal question mark). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const INSERT = `INSERT INTO ${AUDIT_TABLE} (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;

export class PgAuditStore implements AuditStore {
  constructor(private readonly db: PostgresDatabase) {}

  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (!entries.length) return;
    await pgTransaction(this.db.pool, async (client) => {
      for (const e of entries) await client.query(INSERT, auditParams(e));
    });
  }

  async list(q: AuditQuery): Promise<AuditPage> {
    const { where, params } = auditWhere(q);
    const [rows, count] = await Promise.all([
      this.db.pool.query(
        numbered(`SELECT * FROM ${AUDIT_TABLE} ${where} ORDER BY id DESC LIMIT ? OFFSET ?`),
        [...params, q.limit, q.offset],
      ),
      this.db.pool.query(numbered(`SELECT COUNT(*) AS n FROM ${AUDIT_TABLE} ${where}`), params),
    ]);
    return {
      items: rows.rows.map((r) => auditFromRow(r as Record<string, unknown>)),
      total: Number((count.rows[0] as { n: unknown }).n),
    };
  }
}
