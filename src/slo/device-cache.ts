/**
 * Model and tags per device for SLI selectors, read from the injected DeviceDirectory (the registry's
 * read side, which owns the one cache of device facts and is invalidated on every change, on every
 * node). Counting must not wait on I/O for known devices, so `get` peeks at the directory's cache; a
 * miss is looked up once and the events that waited for it are counted when it resolves (counters
 * are additive, so a late count lands in the minute the event happened).
 */
import type { DeviceDirectory, DeviceInfo } from '../core/index.js';
import type { DeviceSelector } from './types.js';

export interface DeviceFacts {
  model: string | null;
  tags: readonly string[];
}

function factsOf(d: DeviceInfo | null | undefined): DeviceFacts | null | undefined {
  return d ? { model: d.model, tags: d.tags } : d;
}

export class DeviceCache {
  /** Lookups in flight, so a burst of events for one unknown device asks the directory once. */
  private readonly pending = new Map<string, Promise<DeviceFacts | null>>();

  constructor(private readonly directory: DeviceDirectory) {}

  /** The facts without I/O: `undefined` when the directory has not cached the device. */
  get(deviceId: string): DeviceFacts | null | undefined {
    return factsOf(this.directory.peekDevice?.(deviceId));
  }

  lookup(deviceId: string): Promise<DeviceFacts | null> {
    const hit = this.get(deviceId);
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.pending.get(deviceId);
    if (!p) {
      p = this.directory
        .getDevice(deviceId)
        .then((d) => factsOf(d) ?? null)
        .catch(() => null)
        .finally(() => this.pending.delete(deviceId));
      this.pending.set(deviceId, p);
    }
    return p;
  }
}

/** Whether a selector can be decided without the directory (device id and event model suffice). */
export function needsLookup(sel: DeviceSelector, eventModel: string | undefined): boolean {
  return (
    sel.tag !== undefined ||
    ((sel.model !== undefined || sel.models !== undefined) && eventModel === undefined)
  );
}

export function selectorMatches(
  sel: DeviceSelector,
  deviceId: string,
  eventModel: string | undefined,
  facts: DeviceFacts | null | undefined,
): boolean {
  if (sel.device !== undefined && sel.device !== deviceId) return false;
  const model = eventModel ?? facts?.model ?? undefined;
  if (sel.model !== undefined && model !== sel.model) return false;
  if (sel.models !== undefined && (model === undefined || !sel.models.includes(model))) return false;
  if (sel.tag !== undefined && !(facts?.tags ?? []).includes(sel.tag)) return false;
  return true;
}
