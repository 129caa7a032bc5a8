/**
 * Last seen, one owner (presence) and one store (`registry_devices`): this node's memory is exact
 * for what it saw; the stored row holds every node's batches (each written within the connectivity
 * writer's `flushMs`). A reader merges the two field by field, so nothing it returns is older than
 * either. Health (deadlines after a restart or a shard move), telemetry (`GET …/telemetry/latest`)
 * and the registry's device views all read here (docs/architecture.md, "One owner per fact").
 */
import type { DeviceLastSeen, LastSeenReader } from '../core/index.js';
import type { Presence } from './presence.js';
import type { RegistryStore } from './registry-store.js';

/** The newer of each field; the kind goes with the newer message time. */
export function mergeLastSeen(
  a: DeviceLastSeen | undefined,
  b: DeviceLastSeen | undefined,
): DeviceLastSeen | undefined {
  if (!a || !b) return a ?? b;
  const message = b.messageAt > a.messageAt ? b : a;
  return {
    at: Math.max(a.at, b.at),
    messageAt: message.messageAt,
    messageKind: message.messageKind,
    heartbeatAt: Math.max(a.heartbeatAt, b.heartbeatAt),
  };
}

export class LastSeenBook implements LastSeenReader {
  constructor(
    private readonly store: RegistryStore,
    private readonly presence: Presence,
  ) {}

  async get(deviceId: string): Promise<DeviceLastSeen | undefined> {
    const stored = (await this.store.readLastSeen(deviceId)).get(deviceId);
    return mergeLastSeen(stored, this.presence.lastSeen(deviceId));
  }

  /** Devices in the store; one seen here but not yet written comes with the next batch (≤ flushMs). */
  async all(): Promise<Map<string, DeviceLastSeen>> {
    const out = await this.store.readLastSeen();
    for (const [id, stored] of out) out.set(id, mergeLastSeen(stored, this.presence.lastSeen(id))!);
    return out;
  }
}
