import { migrate, type Database } from '../store/index.js';
import type { AuditStore } from './audit-store.js';
import { auditMigrations } from './migrations.js';
import { PgAuditStore } from './pg-audit-store.js';
import { SqliteAuditStore } from './sqlite-audit-store.js';

/** Migrate the audit table and open the adapter for this database. */
export async function openAuditStore(db: Database): Promise<AuditStore> {
  await migrate(db, 'audit', auditMigrations);
  return db.kind === 'sqlite' ? new SqliteAuditStore(db) : new PgAuditStore(db);
}
