/** The alarms table (alarms-store.ts explains `active_key`). */
import type { Migration } from '../store/index.js';

const common = (serial: string): string => `
CREATE TABLE IF NOT EXISTS alarms (
  id ${serial},
  active_key TEXT UNIQUE,
  source TEXT NOT NULL,
  originator TEXT NOT NULL,
  device_id TEXT,
  slo_id TEXT,
  rule_id TEXT,
  severity TEXT NOT NULL,
  type TEXT NOT NULL,
  message TEXT NOT NULL,
  state TEXT NOT NULL,
  count INTEGER NOT NULL,
  raised_at BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  ack_by TEXT,
  ack_at BIGINT,
  cleared_by TEXT,
  cleared_at BIGINT,
  details_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarms_state ON alarms (state, id);
CREATE INDEX IF NOT EXISTS alarms_device ON alarms (device_id, id);
`;

export const alarmsMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'alarms',
    sqlite: common('INTEGER PRIMARY KEY AUTOINCREMENT'),
    postgres: common('BIGSERIAL PRIMARY KEY'),
  },
];
