/** Shared pieces for health tests: an in-memory DeviceDirectory and an engine on a SQLite file. */
import {
  type Clock,
  type DeviceDirectory,
  type DeviceInfo,
  type DeviceModelInfo,
  EventBus,
  type EventName,
  type LastSeenReader,
  silentLogger,
  type TsunaguEvents,
} from '../core/index.js';
import type { SqliteDatabase } from '../store/index.js';
import { HealthEngine } from './engine.js';
import { createSqliteHealthStore } from './sqlite-health-store.js';
import { createHealthApi, type HealthApi } from './service.js';
import type { HealthStore } from './health-store.js';

export class MemoryDirectory implements DeviceDirectory {
  readonly devices = new Map<string, DeviceInfo>();
  readonly models = new Map<string, DeviceModelInfo>();
  addModel(m: Partial<DeviceModelInfo> & { name: string }): void {
    this.models.set(m.name, { attributes: {}, ...m });
  }
  addDevice(id: string, model: string | null, tags: string[] = []): void {
    this.devices.set(id, { id, model, name: id, tags, enabled: true, attributes: {} });
  }
  async getDevice(id: string): Promise<DeviceInfo | undefined> {
    return this.devices.get(id);
  }
  async getModel(name: string): Promise<DeviceModelInfo | undefined> {
    return this.models.get(name);
  }
  async *listDevices(): AsyncIterable<DeviceInfo> {
    for (const d of this.devices.values()) yield d;
  }
}

/** Records every emission of the named events. */
export function record<K extends EventName>(bus: EventBus, name: K): TsunaguEvents[K][] {
  const out: TsunaguEvents[K][] = [];
  bus.on(name, (e) => out.push(e));
  return out;
}

export interface EngineHarness {
  engine: HealthEngine;
  api: HealthApi;
  store: HealthStore;
  bus: EventBus;
  published: { deviceId: string; payload: Record<string, unknown> }[];
}

export async function buildEngine(
  db: SqliteDatabase,
  clock: Clock,
  directory: DeviceDirectory,
  /**
   * `listening: false`: the listeners have not opened yet (no deadline is judged). `lastSeen`:
   * presence's reader (engine-restart.test.ts wires the registry's real one on the same file).
   */
  opts: { listening?: boolean; lastSeen?: LastSeenReader } = {},
): Promise<EngineHarness> {
  const bus = new EventBus(silentLogger);
  const store = await createSqliteHealthStore(db);
  const published: EngineHarness['published'] = [];
  const engine = new HealthEngine({
    clock,
    bus,
    log: silentLogger,
    store,
    directory,
    flushIntervalMs: 5000,
    ...(opts.lastSeen ? { lastSeen: opts.lastSeen } : {}),
    publish: (deviceId, payload) =>
      published.push({ deviceId, payload: JSON.parse(payload) as Record<string, unknown> }),
  });
  await engine.start();
  if (opts.listening !== false) await engine.listenersOpen();
  return { engine, api: createHealthApi(engine, store, () => clock.now()), store, bus, published };
}
