/** What the executor needs from the platform (injected, so tests and a cluster can supply their own). */
import type { Actor, Clock, EventBus, Logger, Ownership, TsunaguEvents } from '../core/index.js';
import type { BatchResult, ShadowKey, ShadowUpdate } from '../shadows/index.js';
import type { SchedulesStore } from './schedules-store.js';
import type { SchedulesService } from './service.js';

/** What the executor needs from shadows (ShadowService satisfies it). */
export interface ShadowWriter {
  update(deviceId: string, name: string, body: unknown, actor: Actor): Promise<unknown>;
  reported(deviceId: string, name: string): Promise<Record<string, unknown> | undefined>;
  /** Many updates in one store transaction (results in order; a refused item does not stop the rest). */
  updateMany(items: readonly ShadowUpdate[]): Promise<BatchResult<unknown>[]>;
  /** Many reported states in one read. */
  reportedMany(keys: readonly ShadowKey[]): Promise<(Record<string, unknown> | undefined)[]>;
}

export interface ExecutorDeps {
  store: SchedulesStore;
  service: SchedulesService;
  shadows: ShadowWriter;
  bus: EventBus;
  clock: Clock;
  ownership: Ownership;
  log: Logger;
  /** Is the device connected now, on any node? (The registry's presence seam in the app.) */
  isOnline(deviceId: string): boolean;
  /**
   * Calls back when a device comes online anywhere (presence changes, including other nodes'
   * notices in a cluster). Default: this node's `device.connected` bus events.
   */
  onOnline?(listener: (deviceId: string) => void): () => void;
  /**
   * Hands a shadow change seen on a node that does not own the device to the owner (cluster
   * events); without it every change is handled where it happens (one node).
   */
  handOff?: {
    publish(ev: ShadowChange): void;
    subscribe(handler: (ev: ShadowChange) => void): () => void;
  };
  /** Wait after a device connects before the catch-up write, so it can subscribe first. */
  catchUpDelayMs?: number;
  /** Longest a boundary timer sleeps before re-checking (clock jumps, very distant slots). */
  maxSleepMs?: number;
}

/** The part of `shadow.updated` verification and override detection read. */
export type ShadowChange = Pick<
  TsunaguEvents['shadow.updated'],
  'deviceId' | 'shadowName' | 'desired' | 'reported' | 'actor' | 'at'
>;
