/** Shared fixtures for the shadows unit tests (FakeBroker + in-memory SQLite + ManualClock). */
import { Registry } from 'prom-client';
import {
  defaultConfig,
  type DeviceDirectory,
  type DeviceInfo,
  type DeviceModelInfo,
  EventBus,
  ManualClock,
  silentLogger,
  type TsunaguEvents,
} from '../core/index.js';
import type { ModuleContext } from '../platform/index.js';
import { openSqlite } from '../store/index.js';
import { FakeBroker } from '../test-support/fake-broker.js';
import { createShadows, type ShadowsModule, type ShadowsOptions } from './index.js';

export function fakeDirectory(
  devices: Record<string, string | null>,
  models: Record<string, DeviceModelInfo['shadow']> = {},
): DeviceDirectory {
  const info = (id: string): DeviceInfo => ({
    id,
    model: devices[id] ?? null,
    name: id,
    tags: [],
    enabled: true,
    attributes: {},
  });
  return {
    getDevice: (id) => Promise.resolve(id in devices ? info(id) : undefined),
    getModel: (name) =>
      Promise.resolve(name in models ? { name, shadow: models[name] ?? {}, attributes: {} } : undefined),
    listDevices: async function* () {
      for (const id of Object.keys(devices)) yield await Promise.resolve(info(id));
    },
  };
}

export interface ShadowHarness {
  broker: FakeBroker;
  clock: ManualClock;
  bus: EventBus;
  module: ShadowsModule;
  events: TsunaguEvents['shadow.updated'][];
  /** Parsed payloads the platform published on topics matching `filter`. */
  sent(filter: string): Record<string, unknown>[];
  close(): Promise<void>;
}

export async function shadowHarness(
  directory: DeviceDirectory = fakeDirectory({ dev1: null, dev2: null }),
  allowAnonymous = false,
  options: ShadowsOptions = {},
): Promise<ShadowHarness> {
  const broker = new FakeBroker();
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const bus = new EventBus(silentLogger);
  const db = openSqlite(':memory:');
  const ctx: ModuleContext = {
    config: { ...defaultConfig(), allowAnonymous },
    db,
    bus,
    clock,
    log: silentLogger,
    broker,
    metrics: new Registry(),
  };
  const module = await createShadows(ctx, directory, options);
  await module.start?.();
  const events: TsunaguEvents['shadow.updated'][] = [];
  bus.on('shadow.updated', (e) => events.push(e));
  return {
    broker,
    clock,
    bus,
    module,
    events,
    sent: (filter) =>
      broker.sent(filter).map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>),
    async close() {
      await module.stop?.();
      await db.close();
    },
  };
}
