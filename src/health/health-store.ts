/**
 * What health persists: per-device service state and last sign of life, the transition history,
 * per-model policies, and a little metadata (when the engine was last alive, for restart rules).
 * Two adapters (SQLite, PostgreSQL) pass one contract suite (`health-store.contract.test.ts`).
 */
import type { Actor, ServiceState } from '../core/events.js';
import type { Migration } from '../store/migrations.js';
import type { HealthPolicy } from './policy.js';

export interface DeviceHealthRow {
  deviceId: string;
  state: ServiceState;
  reasons: string[];
  /** When the current state (and reasons) began; 0 when never set. */
  since: number;
  /** Last sign of life; null when never seen. */
  lastSeen: number | null;
}

export interface Transition {
  deviceId: string;
  at: number;
  from: ServiceState;
  to: ServiceState;
  reasons: string[];
  actor: Actor;
  note?: string;
}

/** A transition plus when the resulting state began (reason-only changes keep the earlier `since`). */
export type StateChange = Transition & { since: number };

export interface HealthStore {
  loadDevices(): Promise<DeviceHealthRow[]>;
  /** Batched: one transaction; never moves last_seen backwards. */
  saveLastSeen(batch: readonly { deviceId: string; lastSeen: number }[]): Promise<void>;
  /** Batched: the new current state of each device and its history row, in one transaction. */
  saveTransitions(batch: readonly StateChange[]): Promise<void>;
  /** Newest first. */
  history(deviceId: string, limit: number): Promise<Transition[]>;
  deleteDevice(deviceId: string): Promise<void>;
  getMeta(key: string): Promise<number | undefined>;
  setMeta(key: string, value: number): Promise<void>;
  listPolicies(): Promise<HealthPolicy[]>;
  putPolicy(p: HealthPolicy): Promise<void>;
  deletePolicy(model: string): Promise<boolean>;
}

const ddl = (bigint: string, serial: string): string => `
CREATE TABLE health_devices (
  device_id TEXT PRIMARY KEY,
  state TEXT NOT NULL DEFAULT 'in_service',
  reasons TEXT NOT NULL DEFAULT '[]',
  since ${bigint} NOT NULL DEFAULT 0,
  last_seen ${bigint}
);
CREATE TABLE health_transitions (
  id ${serial},
  device_id TEXT NOT NULL,
  at ${bigint} NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  reasons TEXT NOT NULL,
  actor TEXT NOT NULL,
  note TEXT
);
CREATE INDEX health_transitions_device ON health_transitions (device_id, at);
CREATE TABLE health_policies (model TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at ${bigint} NOT NULL);
CREATE TABLE health_meta (key TEXT PRIMARY KEY, value ${bigint} NOT NULL);
`;

export const HEALTH_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'devices, transitions, policies, meta',
    sqlite: ddl('INTEGER', 'INTEGER PRIMARY KEY AUTOINCREMENT'),
    postgres: ddl('BIGINT', 'BIGSERIAL PRIMARY KEY'),
  },
];

export interface TransitionRow {
  device_id: string;
  at: number | string;
  from_state: string;
  to_state: string;
  reasons: string;
  actor: string;
  note: string | null;
}

export function toTransition(r: TransitionRow): Transition {
  const t: Transition = {
    deviceId: r.device_id,
    at: Number(r.at),
    from: r.from_state as ServiceState,
    to: r.to_state as ServiceState,
    reasons: JSON.parse(r.reasons) as string[],
    actor: JSON.parse(r.actor) as Actor,
  };
  if (r.note !== null) t.note = r.note;
  return t;
}

export interface DeviceRow {
  device_id: string;
  state: string;
  reasons: string;
  since: number | string;
  last_seen: number | string | null;
}

export function toDeviceRow(r: DeviceRow): DeviceHealthRow {
  return {
    deviceId: r.device_id,
    state: r.state as ServiceState,
    reasons: JSON.parse(r.reasons) as string[],
    since: Number(r.since),
    lastSeen: r.last_seen === null ? null : Number(r.last_seen),
  };
}
