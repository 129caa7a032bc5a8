/**
 * Telemetry tables. The raw points table is clustered on (ts, device_id, metric): time-first, so
 * a round-robin fleet appends at the right edge of one B-tree and retention deletes a prefix
 * (see docs/telemetry.md for the measured trade-off against device-first). Rollups and the
 * latest-value table are keyed device-first because they are read per device.
 */
import type { Migration } from '../store/index.js';

const rollup = (name: string, pg: boolean): string => `
CREATE TABLE ${name} (
  device_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  bucket BIGINT NOT NULL,
  n BIGINT NOT NULL,
  total DOUBLE PRECISION NOT NULL,
  lo DOUBLE PRECISION NOT NULL,
  hi DOUBLE PRECISION NOT NULL,
  last_value DOUBLE PRECISION NOT NULL,
  last_ts BIGINT NOT NULL,
  PRIMARY KEY (device_id, metric, bucket)
)${pg ? '' : ' WITHOUT ROWID'};
CREATE INDEX ${name}_bucket ON ${name} (bucket);`;

const tables = (pg: boolean): string => `
CREATE TABLE telemetry_points (
  ts BIGINT NOT NULL,
  device_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (ts, device_id, metric)
)${pg ? '' : ' WITHOUT ROWID'};
${rollup('telemetry_rollup_1m', pg)}
${rollup('telemetry_rollup_1h', pg)}
CREATE TABLE telemetry_latest (
  device_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  ts BIGINT NOT NULL,
  value DOUBLE PRECISION,
  text TEXT,
  PRIMARY KEY (device_id, metric)
)${pg ? '' : ' WITHOUT ROWID'};
CREATE TABLE telemetry_last_seen (
  device_id TEXT PRIMARY KEY,
  ts BIGINT NOT NULL,
  kind TEXT NOT NULL
);
CREATE TABLE telemetry_events (
  id ${pg ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT'},
  device_id TEXT NOT NULL,
  ts BIGINT NOT NULL,
  code TEXT NOT NULL,
  severity TEXT NOT NULL,
  message TEXT NOT NULL,
  fields TEXT
);
CREATE INDEX telemetry_events_device_ts ON telemetry_events (device_id, ts);
CREATE INDEX telemetry_events_device_code_ts ON telemetry_events (device_id, code, ts);
CREATE INDEX telemetry_events_device_severity_ts ON telemetry_events (device_id, severity, ts);
CREATE INDEX telemetry_events_ts ON telemetry_events (ts);
CREATE TABLE telemetry_decoders (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  definition TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);`;

/**
 * SQLite keeps rollups and latest values in memory across batches (sqlite-telemetry-store.ts); this row holds
 * the time range of the raw points committed since the last flush, so that after a crash the
 * rollups of that range are rebuilt from the raw points. Unused by PostgreSQL.
 */
const dirty = `CREATE TABLE telemetry_rollup_dirty (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  lo BIGINT NOT NULL,
  hi BIGINT NOT NULL
);`;

/**
 * Read-only views for Grafana's PostgreSQL data source (docs/observability.md "Telemetry in
 * Grafana"): a `time` column of type timestamptz beside the epoch-ms one (filter on `ts_ms`, which
 * the indexes cover; `time` is for display), averages computed from the rollups. A stable surface:
 * the tables behind them may change, the views keep their columns. PostgreSQL only (Grafana has no
 * SQLite data source of its own; on SQLite use the HTTP API).
 */
export const GRAFANA_VIEWS = `
CREATE VIEW tsunagu_telemetry_points AS
  SELECT to_timestamp(ts / 1000.0) AS "time", ts AS ts_ms, device_id, metric, value
  FROM telemetry_points;
CREATE VIEW tsunagu_telemetry_1m AS
  SELECT to_timestamp(bucket / 1000.0) AS "time", bucket AS ts_ms, device_id, metric,
         total / n AS avg, lo AS min, hi AS max, n AS count, total AS sum, last_value AS last
  FROM telemetry_rollup_1m;
CREATE VIEW tsunagu_telemetry_1h AS
  SELECT to_timestamp(bucket / 1000.0) AS "time", bucket AS ts_ms, device_id, metric,
         total / n AS avg, lo AS min, hi AS max, n AS count, total AS sum, last_value AS last
  FROM telemetry_rollup_1h;
CREATE VIEW tsunagu_device_state AS
  SELECT l.device_id, l.metric, to_timestamp(l.ts / 1000.0) AS "time", l.ts AS ts_ms, l.value, l.text,
         to_timestamp(s.ts / 1000.0) AS last_seen, s.kind AS last_seen_kind
  FROM telemetry_latest l LEFT JOIN telemetry_last_seen s ON s.device_id = l.device_id;
CREATE VIEW tsunagu_device_events AS
  SELECT to_timestamp(ts / 1000.0) AS "time", ts AS ts_ms, device_id, code, severity, message, fields
  FROM telemetry_events;`;

/**
 * Last-seen is presence's (the registry's `registry_devices`, migration 2 there copied this table
 * first: the registry migrates before telemetry). `tsunagu_device_state` keeps its columns, now
 * read from the registry's Grafana view `tsunagu_device_last_seen` (the latest message and its
 * kind); a schema where telemetry runs without the registry gets them as NULL.
 */
const STATE_VIEW_SELECT = `CREATE VIEW tsunagu_device_state AS SELECT l.device_id, l.metric, to_timestamp(l.ts / 1000.0) AS "time", l.ts AS ts_ms, l.value, l.text`;
const LAST_SEEN_TO_PRESENCE_PG = `
DROP VIEW tsunagu_device_state;
DROP TABLE telemetry_last_seen;
DO $$
BEGIN
  IF to_regclass('tsunagu_device_last_seen') IS NOT NULL THEN
    EXECUTE '${STATE_VIEW_SELECT}, s.last_message AS last_seen, s.last_message_kind AS last_seen_kind
      FROM telemetry_latest l LEFT JOIN tsunagu_device_last_seen s ON s.device_id = l.device_id';
  ELSE
    EXECUTE '${STATE_VIEW_SELECT}, NULL::timestamptz AS last_seen, NULL::text AS last_seen_kind
      FROM telemetry_latest l';
  END IF;
END $$;`;

export const TELEMETRY_MIGRATIONS: readonly Migration[] = [
  { id: 1, name: 'points, rollups, latest, events, decoders', sqlite: tables(false), postgres: tables(true) },
  { id: 2, name: 'rollup dirty range', sqlite: dirty, postgres: dirty },
  // Nothing on SQLite: the id is recorded so both stores keep one migration list.
  { id: 3, name: 'Grafana views (PostgreSQL)', sqlite: 'SELECT 1;', postgres: GRAFANA_VIEWS },
  {
    id: 4,
    name: 'last-seen moves to presence (registry_devices)',
    sqlite: 'DROP TABLE telemetry_last_seen;',
    postgres: LAST_SEEN_TO_PRESENCE_PG,
  },
];
