/**
 * The audit table. It was created by the registry's first migration under the name
 * `registry_audit`; this migration creates it where that one did not run (IF NOT EXISTS), so the
 * audit module owns it from now on and existing data directories keep their entries.
 */
import type { Migration } from '../store/index.js';

const common = (serial: string): string => `
CREATE TABLE IF NOT EXISTS registry_audit (
  id ${serial},
  at BIGINT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_name TEXT,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT
);
CREATE INDEX IF NOT EXISTS registry_audit_actor ON registry_audit (actor_id, id);
CREATE INDEX IF NOT EXISTS registry_audit_resource ON registry_audit (resource, id);
`;

export const auditMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'audit log (the table the registry created first)',
    sqlite: common('INTEGER PRIMARY KEY AUTOINCREMENT'),
    postgres: common('BIGSERIAL PRIMARY KEY'),
  },
];
