/** What the health engine holds per device, and what it is built from. */
import type {
  Actor,
  Clock,
  DeviceDirectory,
  EventBus,
  HeartbeatPolicy,
  LastSeenReader,
  Logger,
  Ownership,
} from '../core/index.js';
import type { FleetDevice } from './fleet-view.js';
import type { HealthStore } from './health-store.js';

export interface TrackedDevice extends FleetDevice {
  hb: HeartbeatPolicy | undefined;
  /** When tracking began (deadline base for a device never seen). */
  trackedAt: number;
  /**
   * No deadline counts from earlier than this (0: no such floor): when this node gained the
   * device's shard, for a device in service — the previous owner may have heard it after the
   * store's last sign of life (docs/health.md "Several nodes").
   */
  judgedFrom: number;
  /** When the wheel should next look at this device (Infinity: nothing to check). */
  checkAt: number;
  /** True while connected, for `signOfLife: connection`. */
  connected: boolean;
  /** Last `heartbeat.checked` received:true emission (at most one per half interval). */
  lastChecked: number;
  /** Hardware-error occurrences by code, inside each threshold's window (persisted, see engine-writer.ts). */
  errors: Map<string, number[]> | undefined;
}

export interface HealthEngineOptions {
  clock: Clock;
  bus: EventBus;
  log: Logger;
  store: HealthStore;
  /** Resolves device and model info; optional in benchmarks (devices are then tracked directly). */
  directory?: DeviceDirectory;
  /**
   * Which node judges which device (shard key = device id; docs/cluster.md). Default: this node
   * judges every device.
   */
  ownership?: Ownership;
  /** A sign of life or hardware-error event for a device another node owns: hand it to the owner. */
  forward?: (input: ForwardedInput) => void;
  /** Publish the retained `$fleet/devices/{id}/service-state` message. */
  publish?: (deviceId: string, payload: string) => void;
  /** How often `alive_at` is written while listening (restart rule, engine-writer.ts). Default 5 s. */
  flushIntervalMs?: number;
  /**
   * Presence's last-seen (app.ts wires the registry's reader): each device's last sign of life at
   * start and when a shard is gained. Without it a device's deadline counts from when it was tracked.
   */
  lastSeen?: LastSeenReader;
}

export const SYSTEM: Actor = { kind: 'system', id: 'health' };

/** What a sign of life was (the device's policy decides whether it counts). */
export type SignOfLifeVia = 'heartbeat' | 'message' | 'connected' | 'disconnected';

export type ForwardedInput =
  | { kind: 'sign_of_life'; deviceId: string; at: number; via: SignOfLifeVia }
  | { kind: 'device_event'; deviceId: string; code: string; at: number };
