/** The registry's tables (prefix `registry_`). Booleans are 0/1 integers, JSON is text, times are ms. */
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

// The audit table (registry_audit) was created here until the audit module took it over; its own
// migration creates it IF NOT EXISTS, so data directories made before keep their entries.
export const registryMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'models, devices, tags, credentials, connectivity, audit, tokens',
    sqlite: common('INTEGER PRIMARY KEY AUTOINCREMENT'),
    postgres: common('BIGSERIAL PRIMARY KEY'),
  },
];
