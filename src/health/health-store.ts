/**
 * What health persists: per-device service state, the transition history,
 * per-model policies, and a little metadata (when the engine was last alive, for restart rules).
 * The last sign of life is not here: it is presence's (the registry's `lastSeen` reader), derived
 * per device from its policy (policy.ts `signOfLifeAt`).
 * Two adapters (SQLite, PostgreSQL) pass one contract suite (`health-store.contract.test.ts`).
 */
import type { Actor, ServiceState } from '../core/index.js';
import type { Migration } from '../store/index.js';
import type { HealthPolicy } from './policy.js';

export interface DeviceHealthRow {
  deviceId: string;
  state: ServiceState;
  reasons: string[];
  /** When the current state (and reasons) began; 0 when never set. */
  since: number;
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

export interface SeenState {
  state: ServiceState;
  reasons: readonly string[];
}

/** `applied: false`: another node changed the device first; `current` is the store's row. */
export type ConditionalResult = { applied: true } | { applied: false; current: DeviceHealthRow };

/** One device's hardware-error occurrences of one code, inside the threshold's window (oldest first). */
export interface ErrorWindowRow {
  deviceId: string;
  code: string;
  /** Empty: the window is cleared (the row is deleted). */
  occurrences: number[];
}

/**
 * A span when devices could not reach the platform: from the last moment it was known to be
 * listening (`alive_at`) to the moment its listeners opened again. `clean`: the platform shut down
 * (SIGTERM/SIGINT) rather than crashed, so `from` is exact; after a crash it is the last
 * `alive_at` write (up to `flushIntervalMs` early).
 */
export interface PlatformDowntime {
  from: number;
  to: number;
  clean: boolean;
}

export interface HealthStore {
  loadDevices(): Promise<DeviceHealthRow[]>;
  /** Batched: the new current state of each device and its history row, in one transaction. */
  saveTransitions(batch: readonly StateChange[]): Promise<void>;
  /**
   * One transition, written only if the device's current row still has `seen` (state and reasons;
   * no row counts as in service, no reasons). The compare-and-set that keeps a service-out single
   * when two nodes judge the same device across a lease hand-over (docs/cluster.md).
   */
  saveTransitionIf(change: StateChange, seen: SeenState): Promise<ConditionalResult>;
  /** Newest first. */
  history(deviceId: string, limit: number): Promise<Transition[]>;
  /** Removes the device's row, history and error windows. */
  deleteDevice(deviceId: string): Promise<void>;
  /** Batched, one transaction: replaces each (device, code) window; an empty window deletes it. */
  saveErrorWindows(batch: readonly ErrorWindowRow[]): Promise<void>;
  loadErrorWindows(): Promise<ErrorWindowRow[]>;
  addDowntime(d: PlatformDowntime): Promise<void>;
  /** Newest first. */
  listDowntimes(limit: number): Promise<PlatformDowntime[]>;
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

const ddl2 = (bigint: string): string => `
CREATE TABLE health_error_windows (
  device_id TEXT NOT NULL,
  code TEXT NOT NULL,
  occurrences TEXT NOT NULL,
  PRIMARY KEY (device_id, code)
);
CREATE TABLE health_downtimes (from_at ${bigint} NOT NULL, to_at ${bigint} NOT NULL, clean ${bigint} NOT NULL);
CREATE INDEX health_downtimes_to ON health_downtimes (to_at);
`;

export const HEALTH_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'devices, transitions, policies, meta',
    sqlite: ddl('INTEGER', 'INTEGER PRIMARY KEY AUTOINCREMENT'),
    postgres: ddl('BIGINT', 'BIGSERIAL PRIMARY KEY'),
  },
  {
    id: 2,
    name: 'error windows, platform downtime',
    sqlite: ddl2('INTEGER'),
    postgres: ddl2('BIGINT'),
  },
  {
    id: 3,
    name: 'last sign of life moves to presence (registry_devices)',
    sqlite: 'ALTER TABLE health_devices DROP COLUMN last_seen;',
    postgres: 'ALTER TABLE health_devices DROP COLUMN last_seen;',
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
}

export function toDeviceRow(r: DeviceRow): DeviceHealthRow {
  return {
    deviceId: r.device_id,
    state: r.state as ServiceState,
    reasons: JSON.parse(r.reasons) as string[],
    since: Number(r.since),
  };
}

export interface ErrorWindowDbRow {
  device_id: string;
  code: string;
  occurrences: string;
}

export const toErrorWindow = (r: ErrorWindowDbRow): ErrorWindowRow => ({
  deviceId: r.device_id,
  code: r.code,
  occurrences: JSON.parse(r.occurrences) as number[],
});

export interface DowntimeRow {
  from_at: number | string;
  to_at: number | string;
  clean: number | string;
}

export const toDowntime = (r: DowntimeRow): PlatformDowntime => ({
  from: Number(r.from_at),
  to: Number(r.to_at),
  clean: Number(r.clean) === 1,
});
