/** Tables of the broker's persistence (prefixed `mqtt_`), for SQLite and PostgreSQL. */
import type { Migration } from '../store/index.js';

const SQLITE = `
CREATE TABLE mqtt_sessions (
  client_id TEXT PRIMARY KEY,
  expiry_interval INTEGER NOT NULL,
  disconnected_at INTEGER,
  protocol_version INTEGER NOT NULL
);
CREATE TABLE mqtt_subscriptions (
  client_id TEXT NOT NULL,
  raw TEXT NOT NULL,
  qos INTEGER NOT NULL,
  nl INTEGER NOT NULL,
  rap INTEGER NOT NULL,
  rh INTEGER NOT NULL,
  sub_id INTEGER,
  PRIMARY KEY (client_id, raw)
);
CREATE TABLE mqtt_messages (
  client_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  properties TEXT,
  publisher_id TEXT,
  expires_at INTEGER,
  sub_ids TEXT,
  packet_id INTEGER NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (client_id, seq)
);
CREATE TABLE mqtt_incoming (
  client_id TEXT NOT NULL,
  packet_id INTEGER NOT NULL,
  PRIMARY KEY (client_id, packet_id)
);
CREATE TABLE mqtt_retained (
  topic TEXT PRIMARY KEY,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  properties TEXT,
  expires_at INTEGER
);
`;

const POSTGRES = `
CREATE TABLE mqtt_sessions (
  client_id TEXT PRIMARY KEY,
  expiry_interval BIGINT NOT NULL,
  disconnected_at BIGINT,
  protocol_version BIGINT NOT NULL
);
CREATE TABLE mqtt_subscriptions (
  client_id TEXT NOT NULL,
  raw TEXT NOT NULL,
  qos BIGINT NOT NULL,
  nl BIGINT NOT NULL,
  rap BIGINT NOT NULL,
  rh BIGINT NOT NULL,
  sub_id BIGINT,
  PRIMARY KEY (client_id, raw)
);
CREATE TABLE mqtt_messages (
  client_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  topic TEXT NOT NULL,
  payload BYTEA NOT NULL,
  qos BIGINT NOT NULL,
  retain BIGINT NOT NULL,
  properties TEXT,
  publisher_id TEXT,
  expires_at BIGINT,
  sub_ids TEXT,
  packet_id BIGINT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (client_id, seq)
);
CREATE TABLE mqtt_incoming (
  client_id TEXT NOT NULL,
  packet_id BIGINT NOT NULL,
  PRIMARY KEY (client_id, packet_id)
);
CREATE TABLE mqtt_retained (
  topic TEXT PRIMARY KEY,
  payload BYTEA NOT NULL,
  qos BIGINT NOT NULL,
  properties TEXT,
  expires_at BIGINT
);
`;

/** Wills survive a broker stop or crash and are published after restart (one row per client). */
const WILLS_SQLITE = `
CREATE TABLE mqtt_wills (
  client_id TEXT PRIMARY KEY,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  properties TEXT,
  delay INTEGER NOT NULL,
  expiry_interval INTEGER,
  disconnected_at INTEGER,
  client_info TEXT
);
`;

const WILLS_POSTGRES = `
CREATE TABLE mqtt_wills (
  client_id TEXT PRIMARY KEY,
  topic TEXT NOT NULL,
  payload BYTEA NOT NULL,
  qos BIGINT NOT NULL,
  retain BIGINT NOT NULL,
  properties TEXT,
  delay BIGINT NOT NULL,
  expiry_interval BIGINT,
  disconnected_at BIGINT,
  client_info TEXT
);
`;

/**
 * Cluster: the member (`cluster_members.owner`) that holds a session or a will, so another node
 * adopts them when that member dies (mqtt/handover.ts). NULL on one node.
 */
const HOLDERS_SQLITE = `
ALTER TABLE mqtt_sessions ADD COLUMN holder TEXT;
ALTER TABLE mqtt_wills ADD COLUMN holder TEXT;
`;

const HOLDERS_POSTGRES = `
ALTER TABLE mqtt_sessions ADD COLUMN holder TEXT;
ALTER TABLE mqtt_wills ADD COLUMN holder TEXT;
CREATE INDEX mqtt_sessions_holder ON mqtt_sessions (holder);
CREATE INDEX mqtt_wills_holder ON mqtt_wills (holder);
`;

/**
 * Cluster: the id an inbound QoS 2 message was routed under, written before it is routed, so the
 * publisher's resend on another node (its node died before PUBREC) is routed under the same id and
 * deduplicated by the nodes that had it (docs/cluster.md "Exactly once across a node failure").
 */
const INCOMING_MSG_ID = `
ALTER TABLE mqtt_incoming ADD COLUMN msg_id TEXT;
`;

/**
 * Cluster: the QoS 2 message ids queued for each persistent session (persistence.ts
 * `StoredDelivered`), so a resend routed under a stored id is not queued for a session that had it
 * (docs/cluster.md "Exactly once across a node failure"). Pruned by age when written.
 */
const DELIVERED_SQLITE = `
CREATE TABLE mqtt_delivered (
  client_id TEXT NOT NULL,
  msg_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (client_id, msg_id)
);
`;

const DELIVERED_POSTGRES = `
CREATE TABLE mqtt_delivered (
  client_id TEXT NOT NULL,
  msg_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (client_id, msg_id)
);
`;

export const MQTT_MIGRATIONS: Migration[] = [
  { id: 1, name: 'broker state', sqlite: SQLITE, postgres: POSTGRES },
  { id: 2, name: 'persisted wills', sqlite: WILLS_SQLITE, postgres: WILLS_POSTGRES },
  { id: 3, name: 'session and will holders', sqlite: HOLDERS_SQLITE, postgres: HOLDERS_POSTGRES },
  { id: 4, name: 'inbound QoS 2 message ids', sqlite: INCOMING_MSG_ID, postgres: INCOMING_MSG_ID },
  {
    id: 5,
    name: 'message ids delivered to sessions',
    sqlite: DELIVERED_SQLITE,
    postgres: DELIVERED_POSTGRES,
  },
];
