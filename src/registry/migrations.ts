/** The registry's tables (prefix `registry_`). Booleans are 0/1 integers, JSON is text, times are ms. */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import type { Migration } from '../store/index.js';

const common = (serial: string): string => `
CREATE TABLE registry_models (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  spec TEXT NOT NULL,
  attributes TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE registry_devices (
  id TEXT PRIMARY KEY,
  model TEXT,
  name TEXT NOT NULL,
  tags TEXT NOT NULL,
  attributes TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  online INTEGER NOT NULL DEFAULT 0,
  last_seen_at BIGINT NOT NULL DEFAULT 0,
  search TEXT NOT NULL
);
CREATE INDEX registry_devices_model ON registry_devices (model, id);
CREATE INDEX registry_devices_name ON registry_devices (name, id);
CREATE INDEX registry_devices_created ON registry_devices (created_at, id);
CREATE INDEX registry_devices_updated ON registry_devices (updated_at, id);
CREATE INDEX registry_devices_seen ON registry_devices (last_seen_at, id);
CREATE INDEX registry_devices_online ON registry_devices (online, id);
CREATE TABLE registry_device_tags (
  tag TEXT NOT NULL,
  device_id TEXT NOT NULL,
  PRIMARY KEY (tag, device_id)
);
CREATE INDEX registry_device_tags_device ON registry_device_tags (device_id);
CREATE TABLE registry_credentials (
  id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  username TEXT,
  secret_hash TEXT,
  fingerprint TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX registry_credentials_device ON registry_credentials (device_id);
CREATE UNIQUE INDEX registry_credentials_fp ON registry_credentials (fingerprint)
  WHERE fingerprint IS NOT NULL AND revoked_at IS NULL;
CREATE TABLE registry_connectivity (
  id ${serial},
  device_id TEXT NOT NULL,
  event TEXT NOT NULL,
  at BIGINT NOT NULL,
  remote_address TEXT NOT NULL,
  protocol_version INTEGER,
  keepalive INTEGER,
  reason TEXT,
  refused INTEGER NOT NULL,
  detail TEXT
);
CREATE INDEX registry_connectivity_device ON registry_connectivity (device_id, id);
CREATE TABLE registry_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT,
  bootstrap INTEGER NOT NULL
);
`;

/**
 * Presence's whole last-seen record (docs/architecture.md, "One owner per fact"): beside
 * `last_seen_at` (connect, disconnect or any message), the latest message with its kind and the
 * latest heartbeat — what telemetry (`telemetry_last_seen`) and health (`health_devices.last_seen`)
 * kept for themselves until now.
 */
const lastSeenColumns = `
ALTER TABLE registry_devices ADD COLUMN last_message_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE registry_devices ADD COLUMN last_message_kind TEXT;
ALTER TABLE registry_devices ADD COLUMN last_heartbeat_at BIGINT NOT NULL DEFAULT 0;
`;

/** Grafana's read surface for presence (docs/observability.md); telemetry's `tsunagu_device_state` joins it. */
const lastSeenView = `
CREATE VIEW tsunagu_device_last_seen AS
  SELECT id AS device_id, online = 1 AS online,
         CASE WHEN last_seen_at > 0 THEN to_timestamp(last_seen_at / 1000.0) END AS last_seen,
         CASE WHEN last_message_at > 0 THEN to_timestamp(last_message_at / 1000.0) END AS last_message,
         last_message_kind,
         CASE WHEN last_heartbeat_at > 0 THEN to_timestamp(last_heartbeat_at / 1000.0) END AS last_heartbeat
  FROM registry_devices;
`;

/**
 * Carried over from the copies being retired, on a database that has them (the registry migrates
 * before telemetry and health, whose next migrations drop them; app.ts keeps that order). Health's
 * last sign of life becomes the latest heartbeat: exact for the `heartbeat` policy (the default),
 * which is the only one that reads that column; under the other policies health's time was a
 * message or a connection, also folded into `last_seen_at`.
 */
const COPY_TELEMETRY = `
UPDATE registry_devices SET
  last_message_at = s.ts,
  last_message_kind = s.kind,
  last_heartbeat_at = CASE WHEN s.kind = 'heartbeat' THEN s.ts ELSE registry_devices.last_heartbeat_at END,
  last_seen_at = CASE WHEN registry_devices.last_seen_at > s.ts THEN registry_devices.last_seen_at ELSE s.ts END
FROM telemetry_last_seen s WHERE s.device_id = registry_devices.id`;
const COPY_HEALTH = `
UPDATE registry_devices SET
  last_heartbeat_at = CASE WHEN registry_devices.last_heartbeat_at > h.last_seen
                           THEN registry_devices.last_heartbeat_at ELSE h.last_seen END,
  last_seen_at = CASE WHEN registry_devices.last_seen_at > h.last_seen
                      THEN registry_devices.last_seen_at ELSE h.last_seen END
FROM health_devices h WHERE h.device_id = registry_devices.id AND h.last_seen IS NOT NULL`;

function copyLastSeenSqlite(db: BetterSqlite3.Database): void {
  const hasColumn = (table: string, column: string): boolean =>
    (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).some(
      (c) => c.name === column,
    );
  if (hasColumn('telemetry_last_seen', 'kind')) db.exec(COPY_TELEMETRY);
  if (hasColumn('health_devices', 'last_seen')) db.exec(COPY_HEALTH);
}

async function copyLastSeenPg(c: pg.PoolClient): Promise<void> {
  const hasColumn = async (table: string, column: string): Promise<boolean> => {
    const r = await c.query(
      `SELECT 1 FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`,
      [table, column],
    );
    return r.rows.length > 0;
  };
  if (await hasColumn('telemetry_last_seen', 'kind')) await c.query(COPY_TELEMETRY);
  if (await hasColumn('health_devices', 'last_seen')) await c.query(COPY_HEALTH);
}

// The audit table (registry_audit) was created here until the audit module took it over; its own
// migration creates it IF NOT EXISTS, so data directories made before keep their entries.
export const registryMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'models, devices, tags, credentials, connectivity, audit, tokens',
    sqlite: common('INTEGER PRIMARY KEY AUTOINCREMENT'),
    postgres: common('BIGSERIAL PRIMARY KEY'),
  },
  {
    id: 2,
    name: 'presence owns last-seen: latest message, its kind, latest heartbeat (carried over)',
    sqlite: lastSeenColumns,
    postgres: lastSeenColumns + lastSeenView,
    sqliteData: copyLastSeenSqlite,
    postgresData: copyLastSeenPg,
  },
];
