/**
 * The registry's read side for other modules (core/devices.ts): cached lookups, invalidated by the
 * registry service on every change, so telemetry and health pay one database read per device.
 * Misses are loaded together: every device asked for in one turn of the event loop (health, jobs
 * and SLOs each reacting to the same `device.changed`, a connect storm) is read once, in one
 * `getDevices` statement per `DEVICE_BATCH` ids. An import of 100,000 devices on PostgreSQL made
 * 300,000 single-row reads here before.
 */
import type { DeviceDirectory, DeviceInfo, DeviceModelInfo } from '../core/index.js';
import { DEVICE_BATCH, type RegistryStore } from './registry-store.js';
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

/** A device read waiting for the next batch. */
interface Load {
  id: string;
  promise: Promise<Device | undefined>;
  resolve(d: Device | undefined): void;
  reject(err: unknown): void;
}

export class CachedDirectory implements DeviceDirectory {
  /** Device facts only: online and last-seen are presence's, never cached here (they would go stale). */
  private readonly devices = new BoundedCache<Device>();
  private readonly models = new BoundedCache<DeviceModel>();
  /** Reads in flight or queued, by id: a second caller joins the first. */
  private readonly loading = new Map<string, Load>();
  private queue: Load[] = [];
  private scheduled = false;
  /** Counts device invalidations, so a listing read across one does not cache what it read. */
  private invalidations = 0;

  constructor(private readonly store: RegistryStore) {}

  /** The device's record without its status columns, cached; `null` results are cached too. */
  async device(id: string): Promise<Device | undefined> {
    const hit = this.devices.get(id);
    if (hit !== undefined) return hit ?? undefined;
    const pending = this.loading.get(id);
    if (pending) return pending.promise;
    let settle!: Pick<Load, 'resolve' | 'reject'>;
    const promise = new Promise<Device | undefined>((resolve, reject) => (settle = { resolve, reject }));
    const load: Load = { id, promise, ...settle };
    this.loading.set(id, load);
    this.queue.push(load);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    return promise;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const all = this.queue;
    this.queue = [];
    for (let i = 0; i < all.length; i += DEVICE_BATCH) {
      const batch = all.slice(i, i + DEVICE_BATCH);
      let found: Map<string, Device>;
      try {
        found = new Map(
          [...(await this.store.getDevices(batch.map((l) => l.id)))].map(([id, d]) => [id, stripStatus(d)]),
        );
      } catch (err) {
        for (const l of batch) {
          if (this.loading.get(l.id) === l) this.loading.delete(l.id);
          l.reject(err);
        }
        continue;
      }
      for (const l of batch) {
        const d = found.get(l.id);
        // A device invalidated while its read was in flight: the answer goes to those who asked
        // before the change, but is not cached (the next caller reads again).
        if (this.loading.get(l.id) === l) {
          this.loading.delete(l.id);
          this.devices.set(l.id, d ?? null);
        }
        l.resolve(d);
      }
    }
  }

  async model(name: string): Promise<DeviceModel | undefined> {
    const hit = this.models.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const m = await this.store.getModel(name);
    this.models.set(name, m ?? null);
    return m;
  }

  invalidateDevice(id: string): void {
    this.invalidations++;
    this.devices.delete(id);
    this.loading.delete(id);
  }

  invalidateModel(name: string): void {
    this.models.delete(name);
  }

  clear(): void {
    this.invalidations++;
    this.devices.clear();
    this.models.clear();
    this.loading.clear();
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
      const before = this.invalidations;
      const page = await this.store.queryDevices({
        ...(filter.model !== undefined ? { model: filter.model } : {}),
        ...(filter.tag !== undefined ? { tag: filter.tag } : {}),
        sort: 'id',
        order: 'asc',
        limit: PAGE,
        offset,
      });
      // A listing warms the cache that `peekDevice` reads (the record without its status columns),
      // unless a device changed while the page was read: then the page may hold its old record.
      if (this.invalidations === before) for (const d of page.items) this.devices.set(d.id, stripStatus(d));
      for (const d of page.items) yield toDeviceInfo(d);
      if (page.items.length < PAGE) return;
    }
  }
}
