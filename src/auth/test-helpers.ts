/** Test helpers for auth/: a module context on an in-memory SQLite, a small device directory, fast KDF. */
import { Registry as Metrics } from 'prom-client';
import {
  defaultConfig,
  EventBus,
  ManualClock,
  silentLogger,
  type DeviceDirectory,
  type DeviceInfo,
  type DeviceModelInfo,
  type ModuleContext,
  type TsunaguConfig,
} from '../core/index.js';
import type { Database } from '../store/index.js';
import { openSqlite } from '../store/index.js';
import { FakeBroker } from '../test-support/fake-broker.js';
import type { KdfParams } from './passwords.js';

/** Fast enough for tests; production uses DEFAULT_KDF. */
export const TEST_KDF: KdfParams = { N: 1024, r: 8, p: 1 };

export function authContext(
  db: Database = openSqlite(':memory:'),
  config: Partial<TsunaguConfig> = {},
  clock = new ManualClock(),
): ModuleContext & { clock: ManualClock } {
  return {
    config: { ...defaultConfig(), ...config },
    db,
    bus: new EventBus(silentLogger),
    clock,
    log: silentLogger,
    broker: new FakeBroker(),
    metrics: new Metrics(),
  };
}

export class MemoryDirectory implements DeviceDirectory {
  readonly devices = new Map<string, DeviceInfo>();
  readonly models = new Map<string, DeviceModelInfo>();

  add(id: string, model: string | null, tags: string[] = []): this {
    this.devices.set(id, { id, model, name: id, tags, enabled: true, attributes: {} });
    return this;
  }

  async getDevice(id: string): Promise<DeviceInfo | undefined> {
    return this.devices.get(id);
  }

  async getModel(name: string): Promise<DeviceModelInfo | undefined> {
    return this.models.get(name);
  }

  async *listDevices(filter?: { model?: string; tag?: string }): AsyncIterable<DeviceInfo> {
    for (const d of this.devices.values())
      if ((!filter?.model || d.model === filter.model) && (!filter?.tag || d.tags.includes(filter.tag)))
        yield d;
  }
}
