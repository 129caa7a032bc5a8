/**
 * The registry's read side for other modules (core/devices.ts): cached lookups, invalidated by the
 * registry service on every change, so telemetry and health pay one database read per device.
 */
import type { DeviceDirectory, DeviceInfo, DeviceModelInfo } from '../core/index.js';
import type { RegistryStore } from './registry-store.js';
import { stripStatus } from './store-rows.js';
import type { Device, DeviceModel } from './types.js';

/** Enough for a large fleet's working set; beyond it the oldest entries are dropped first. */
const MAX_CACHED = 200_000;
const PAGE = 500;

export function toDeviceInfo(d: Device): DeviceInfo {
  return {
    id: d.id,
    model: d.model,
    name: d.name,
    tags: d.tags,
    enabled: d.enabled,
    attributes: d.attributes,
  };
}

export function toModelInfo(m: DeviceModel): DeviceModelInfo {
  return {
    name: m.name,
    ...(m.heartbeat ? { heartbeat: m.heartbeat } : {}),
    ...(m.decoder !== undefined ? { decoder: m.decoder } : {}),
    ...(m.decoders !== undefined ? { decoders: m.decoders } : {}),
    ...(m.shadow ? { shadow: m.shadow } : {}),
    ...(m.outOfServiceCommands ? { outOfServiceCommands: m.outOfServiceCommands } : {}),
    ...(m.fields ? { fields: m.fields } : {}),
    attributes: m.attributes,
  };
}

class BoundedCache<V> {
  private readonly map = new Map<string, V | null>();
  get(k: string): V | null | undefined {
    return this.map.get(k);
  }
  set(k: string, v: V | null): void {
    if (this.map.size >= MAX_CACHED) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(k, v);
  }
  delete(k: string): void {
    this.map.delete(k);
  }
  clear(): void {
    this.map.clear();
  }
}

export class CachedDirectory implements DeviceDirectory {
  /** Device facts only: online and last-seen are presence's, never cached here (they would go stale). */
  private readonly devices = new BoundedCache<Device>();
  private readonly models = new BoundedCache<DeviceModel>();

  constructor(private readonly store: RegistryStore) {}

  /** The device's record without its status columns, cached; `null` results are cached too. */
  async device(id: string): Promise<Device | undefined> {
    const hit = this.devices.get(id);
    if (hit !== undefined) return hit ?? undefined;
    const d = await this.store.getDevice(id);
    const device = d && stripStatus(d);
    this.devices.set(id, device ?? null);
    return device;
  }

  async model(name: string): Promise<DeviceModel | undefined> {
    const hit = this.models.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const m = await this.store.getModel(name);
    this.models.set(name, m ?? null);
    return m;
  }

  invalidateDevice(id: string): void {
    this.devices.delete(id);
  }

  invalidateModel(name: string): void {
    this.models.delete(name);
  }

  clear(): void {
    this.devices.clear();
    this.models.clear();
  }

  async getDevice(id: string): Promise<DeviceInfo | undefined> {
    const d = await this.device(id);
    return d ? toDeviceInfo(d) : undefined;
  }

  peekDevice(id: string): DeviceInfo | null | undefined {
    const hit = this.devices.get(id);
    return hit ? toDeviceInfo(hit) : hit;
  }

  async getModel(name: string): Promise<DeviceModelInfo | undefined> {
    const m = await this.model(name);
    return m ? toModelInfo(m) : undefined;
  }

  async *listDevices(filter: { model?: string; tag?: string } = {}): AsyncIterable<DeviceInfo> {
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.store.queryDevices({
        ...(filter.model !== undefined ? { model: filter.model } : {}),
        ...(filter.tag !== undefined ? { tag: filter.tag } : {}),
        sort: 'id',
        order: 'asc',
        limit: PAGE,
        offset,
      });
      for (const d of page.items) {
        // A listing warms the cache that `peekDevice` reads (the record without its status columns).
        this.devices.set(d.id, stripStatus(d));
        yield toDeviceInfo(d);
      }
      if (page.items.length < PAGE) return;
    }
  }
}
