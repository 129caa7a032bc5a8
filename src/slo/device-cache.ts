/**
 * Model and tags per device for SLI selectors, from the injected DeviceDirectory (the registry's
 * read side). Counting must not wait on I/O for known devices, so entries are cached; a miss is
 * looked up once and the events that waited for it are counted when it resolves (counters are
 * additive, so a late count lands in the minute the event happened).
 */
import type { DeviceDirectory } from '../core/index.js';
import type { DeviceSelector } from './types.js';

export interface DeviceFacts {
  model: string | null;
  tags: readonly string[];
}

const MAX_ENTRIES = 200_000;

export class DeviceCache {
  private readonly known = new Map<string, DeviceFacts | null>();
  private readonly pending = new Map<string, Promise<DeviceFacts | null>>();

  constructor(private readonly directory: DeviceDirectory) {}

  get(deviceId: string): DeviceFacts | null | undefined {
    return this.known.get(deviceId);
  }

  set(deviceId: string, facts: DeviceFacts | null): void {
    if (this.known.size >= MAX_ENTRIES && !this.known.has(deviceId)) this.known.clear();
    this.known.set(deviceId, facts);
  }

  forget(deviceId: string): void {
    this.known.delete(deviceId);
  }

  lookup(deviceId: string): Promise<DeviceFacts | null> {
    const hit = this.known.get(deviceId);
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.pending.get(deviceId);
    if (!p) {
      p = this.directory
        .getDevice(deviceId)
        .then((d) => {
          const facts = d ? { model: d.model, tags: d.tags } : null;
          this.set(deviceId, facts);
          return facts;
        })
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
