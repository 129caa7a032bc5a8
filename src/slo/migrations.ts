/** Tables of the slo module (all prefixed `slo_`). Counters: one row per (SLO, minute). */
import type { Migration } from '../store/index.js';

export const sloMigrations: Migration[] = [
  {
    id: 1,
    name: 'slo tables',
    sqlite: `
      CREATE TABLE slo_definitions (id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE slo_counters (slo_id TEXT NOT NULL, minute INTEGER NOT NULL, good REAL NOT NULL, total REAL NOT NULL, PRIMARY KEY (slo_id, minute)) WITHOUT ROWID;
      CREATE TABLE slo_alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, slo_id TEXT NOT NULL, slo_name TEXT NOT NULL, tier TEXT NOT NULL, severity TEXT NOT NULL, fired_at INTEGER NOT NULL, resolved_at INTEGER, burn_rate REAL NOT NULL, threshold REAL NOT NULL);
      CREATE INDEX slo_alerts_open ON slo_alerts (resolved_at, id);
      CREATE INDEX slo_alerts_slo ON slo_alerts (slo_id, id);
      CREATE TABLE slo_budget_flags (slo_id TEXT PRIMARY KEY, exhausted INTEGER NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE slo_device_states (device_id TEXT PRIMARY KEY, state TEXT NOT NULL, at INTEGER NOT NULL);
    `,
    postgres: `
      CREATE TABLE slo_definitions (id TEXT PRIMARY KEY, definition JSONB NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
      CREATE TABLE slo_counters (slo_id TEXT NOT NULL, minute BIGINT NOT NULL, good DOUBLE PRECISION NOT NULL, total DOUBLE PRECISION NOT NULL, PRIMARY KEY (slo_id, minute));
      CREATE TABLE slo_alerts (id BIGSERIAL PRIMARY KEY, slo_id TEXT NOT NULL, slo_name TEXT NOT NULL, tier TEXT NOT NULL, severity TEXT NOT NULL, fired_at BIGINT NOT NULL, resolved_at BIGINT, burn_rate DOUBLE PRECISION NOT NULL, threshold DOUBLE PRECISION NOT NULL);
      CREATE INDEX slo_alerts_open ON slo_alerts (resolved_at, id);
      CREATE INDEX slo_alerts_slo ON slo_alerts (slo_id, id);
      CREATE TABLE slo_budget_flags (slo_id TEXT PRIMARY KEY, exhausted BOOLEAN NOT NULL, at BIGINT NOT NULL);
      CREATE TABLE slo_device_states (device_id TEXT PRIMARY KEY, state TEXT NOT NULL, at BIGINT NOT NULL);
    `,
  },
  {
    id: 2,
    name: 'openslo documents kept verbatim',
    // document: the JSON text as imported (TEXT, not JSONB, so key order survives the round trip).
    sqlite: `
      CREATE TABLE slo_openslo_objects (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, name TEXT NOT NULL, document TEXT NOT NULL, definition TEXT, updated_at INTEGER NOT NULL, UNIQUE (kind, name));
    `,
    postgres: `
      CREATE TABLE slo_openslo_objects (seq BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, document TEXT NOT NULL, definition TEXT, updated_at BIGINT NOT NULL, UNIQUE (kind, name));
    `,
  },
  {
    id: 3,
    name: 'at most one open alert episode per (SLO, tier)',
    // What makes "an alert fires once" hold across an ownership hand-over (openAlertIfNone).
    sqlite: `CREATE UNIQUE INDEX slo_alerts_one_open ON slo_alerts (slo_id, tier) WHERE resolved_at IS NULL;`,
    postgres: `CREATE UNIQUE INDEX slo_alerts_one_open ON slo_alerts (slo_id, tier) WHERE resolved_at IS NULL;`,
  },
];
