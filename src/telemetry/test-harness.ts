/**
 * Test harness for telemetry unit tests: the module over FakeBroker, an in-memory SQLite database,
 * a ManualClock and an in-memory device directory. End-to-end tests use the real platform instead.
 */
import {
  type ClusterEvents,
  defaultConfig,
  type DeviceDirectory,
  type DeviceInfo,
  type DeviceLastSeen,
  type DeviceModelInfo,
  EventBus,
  ManualClock,
  type Ownership,
  silentLogger,
  type TsunaguConfig,
  type TsunaguEvents,
} from '../core/index.js';
import { Registry } from 'prom-client';
import type { ModuleContext } from '../platform/index.js';
import { openSqlite, type Database } from '../store/index.js';
import { FakeBroker } from '../test-support/fake-broker.js';
import { createTelemetry, type TelemetryModule, type TelemetryOptions } from './index.js';

export class MemoryDirectory implements DeviceDirectory {
  devices = new Map<string, DeviceInfo>();
  models = new Map<string, DeviceModelInfo>();

  addDevice(id: string, model: string | null = null, tags: string[] = []): void {
    this.devices.set(id, { id, model, name: id, tags, enabled: true, attributes: {} });
  }
  addModel(name: string, decoder?: string): void {
    this.models.set(name, { name, attributes: {}, ...(decoder ? { decoder } : {}) });
  }
  getDevice(id: string): Promise<DeviceInfo | undefined> {
    return Promise.resolve(this.devices.get(id));
  }
  getModel(name: string): Promise<DeviceModelInfo | undefined> {
    return Promise.resolve(this.models.get(name));
  }
  async *listDevices(filter?: { model?: string; tag?: string }): AsyncIterable<DeviceInfo> {
    for (const d of this.devices.values()) {
      if (filter?.model !== undefined && d.model !== filter.model) continue;
      if (filter?.tag !== undefined && !d.tags.includes(filter.tag)) continue;
      yield d;
    }
  }
}

/**
 * Presence's last-seen as far as telemetry's unit tests need it: fed by the `device.message` events
 * telemetry emits (the registry's real reader is used end to end, e.g. api.test.ts).
 */
export class MemoryLastSeen {
  readonly records = new Map<string, DeviceLastSeen>();
  constructor(bus: EventBus) {
    bus.on('device.message', (e) => {
      const r = this.records.get(e.deviceId) ?? { at: 0, messageAt: 0, messageKind: null, heartbeatAt: 0 };
      this.records.set(e.deviceId, {
        at: Math.max(r.at, e.at),
        messageAt: Math.max(r.messageAt, e.at),
        messageKind: e.at >= r.messageAt ? e.kind : r.messageKind,
        heartbeatAt: e.kind === 'heartbeat' ? Math.max(r.heartbeatAt, e.at) : r.heartbeatAt,
      });
    });
  }
  get(id: string): Promise<DeviceLastSeen | undefined> {
    return Promise.resolve(this.records.get(id));
  }
  all(): Promise<Map<string, DeviceLastSeen>> {
    return Promise.resolve(new Map(this.records));
  }
}

export interface Harness {
  telemetry: TelemetryModule;
  ctx: ModuleContext;
  broker: FakeBroker;
  clock: ManualClock;
  directory: MemoryDirectory;
  bus: EventBus;
  metrics: Registry;
  lastSeen: MemoryLastSeen;
  seen: { [K in keyof TsunaguEvents]?: TsunaguEvents[K][] };
  close(): Promise<void>;
}

export async function startHarness(
  opts: {
    config?: Partial<TsunaguConfig>;
    options?: TelemetryOptions;
    db?: Database;
    directory?: MemoryDirectory;
    /** Scale-out seams (default: single node). */
    ownership?: Ownership;
    clusterEvents?: ClusterEvents;
  } = {},
): Promise<Harness> {
  const db = opts.db ?? openSqlite(':memory:');
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const bus = new EventBus(silentLogger);
  const broker = new FakeBroker();
  const metrics = new Registry();
  const directory = opts.directory ?? new MemoryDirectory();
  const ctx: ModuleContext = {
    config: { ...defaultConfig(), logLevel: 'silent', ...opts.config },
    db,
    bus,
    clock,
    log: silentLogger,
    broker,
    metrics,
    ...(opts.ownership ? { ownership: opts.ownership } : {}),
    ...(opts.clusterEvents ? { clusterEvents: opts.clusterEvents } : {}),
  };
  const seen: Harness['seen'] = {};
  const record = <K extends keyof TsunaguEvents>(name: K): void => {
    const list: TsunaguEvents[K][] = [];
    (seen as Record<string, unknown>)[name] = list;
    bus.on(name, (e) => list.push(e));
  };
  record('device.message');
  record('device.event');
  record('audit');
  const lastSeen = new MemoryLastSeen(bus);
  const telemetry = await createTelemetry(ctx, directory, {
    queue: { flushDelayMs: 1 },
    lastSeen,
    ...opts.options,
  });
  await telemetry.start?.();
  return {
    telemetry,
    ctx,
    broker,
    clock,
    directory,
    bus,
    metrics,
    lastSeen,
    seen,
    async close() {
      await telemetry.stop?.();
      if (!opts.db) await db.close();
    },
  };
}
