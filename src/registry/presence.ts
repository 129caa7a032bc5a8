/**
 * The presence seam (ARCHITECTURE.md, "Scale-out"; owner: registry): is device X connected, since
 * when, on which node — and when was it last seen. One owner for these facts: the registry's
 * device views, connectivity status and (later) commands and session takeover ask presence instead
 * of keeping their own copy.
 *
 * Last seen (connect/disconnect/any message, the latest message and its kind, the latest heartbeat)
 * is presence's too: held here per node, written to `registry_devices` by the connectivity batches,
 * read by everyone else through `LastSeenBook` (last-seen.ts) — the one store.
 *
 * Presence is fed by the broker's connect/disconnect hooks (through the bus events app.ts wires,
 * `device.connected` / `device.disconnected` / `device.message`, relayed by the registry's
 * connectivity writer so presence always sees an event first). One node: `LocalPresence`, exact.
 * Several nodes: `cluster/pg-presence.ts` — this node's connections exact, other nodes' as last
 * heard over NATS (within one notice's latency), `locate()` reads the shared table.
 */

import type { DeviceLastSeen, DeviceMessageKind } from '../core/index.js';

/** Where one device is connected. */
export interface PresenceEntry {
  deviceId: string;
  /** The node's configured name (`--node-id`). */
  nodeId: string;
  /** The node's process-unique member id (`nodeId#random` in a cluster; `nodeId` on one node). */
  member: string;
  /** When this connection was opened (ms, the connecting node's clock). */
  since: number;
}

/**
 * A connected/disconnected transition, as this node learns it:
 * - `connect` / `disconnect`: a connection on this node opened first / closed last;
 * - `notice`: another node reported it (cluster only);
 * - `node_lost`: the node holding it stopped renewing its membership (killed, cut off), so its
 *   devices' presence was cleared; `recorded` is true on exactly one node (the one whose sweep
 *   removed the rows), which writes the connectivity history and status;
 * - `restored`: this node's rows were swept while it was alive (cut off from the database longer
 *   than a lease) and it wrote them back.
 */
export interface PresenceChange {
  deviceId: string;
  online: boolean;
  at: number;
  member: string;
  cause: 'connect' | 'disconnect' | 'notice' | 'node_lost' | 'restored';
  recorded?: boolean;
}

/** What readers use (registry views; commands and the fan-out/takeover work later). */
export interface Presence {
  readonly nodeId: string;
  /** Connected anywhere: this node exact, other nodes as last heard. Synchronous. */
  isConnected(deviceId: string): boolean;
  /** Connected on this node. */
  isLocal(deviceId: string): boolean;
  /** Every connection as this node knows it now (normally 0 or 1; 2 while a takeover is under way). */
  where(deviceId: string): PresenceEntry[];
  /** The authoritative answer (the shared table in a cluster), for decisions a stale notice must not drive. */
  locate(deviceId: string): Promise<PresenceEntry[]>;
  /** Latest connect, disconnect or message this node saw (ms); other nodes' messages are not heard. */
  lastSeenAt(deviceId: string): number | undefined;
  /** The whole last-seen record as this node saw it (merge with the stored row: last-seen.ts). */
  lastSeen(deviceId: string): DeviceLastSeen | undefined;
  /** Devices connected, fleet-wide as this node knows it. */
  connectedCount(): number;
  onChange(listener: (c: PresenceChange) => void): () => void;
}

/** An implementation: readers' view plus the feed and lifecycle the registry drives. */
export interface PresenceBackend extends Presence {
  /** A connection opened on this node. */
  connected(deviceId: string, at: number): void;
  /**
   * When the device's latest connection on this node opened, also after it closed (undefined:
   * none since this node started). Connectivity counts connects for flapping from it.
   */
  lastConnectAt(deviceId: string): number | undefined;
  /** A connection closed on this node; true when it was the device's last one here. */
  disconnected(deviceId: string, at: number): boolean;
  /** A message (of `kind`) consumed on this node; true when it moved any last-seen time forward. */
  seen(deviceId: string, at: number, kind?: DeviceMessageKind): boolean;
  start(): Promise<void>;
  /** Flush and leave (a cluster implementation removes this node's rows). */
  stop(): Promise<void>;
}

/** The last consumed message of a device (only for devices that sent one: idle memory). */
class LastMessage {
  constructor(
    public at: number,
    public kind: DeviceMessageKind,
    public heartbeatAt: number,
  ) {}
}

/**
 * One device on this node: its open connections and what it was last seen doing, in one object
 * and one map entry (two maps of two objects cost ~230 bytes per connected device; this ~120, and
 * the message part only once a message was seen: idle memory, docs/benchmarks.md).
 */
class DeviceRecord {
  /** Open connections here (a takeover may report the old close after the new open). */
  count = 0;
  /** When the latest of them opened (ms); kept after they close (`lastConnectAt`), 0: never. */
  since = 0;
  /** Latest connect, disconnect or message. */
  at = 0;
  message: LastMessage | undefined = undefined;
}

/** This node's connections and last-seen times: the part every implementation shares. */
export class LocalConnections {
  private readonly devices = new Map<string, DeviceRecord>();
  /** Devices with an open connection here. */
  private openCount = 0;

  private record(id: string): DeviceRecord {
    let r = this.devices.get(id);
    if (!r) this.devices.set(id, (r = new DeviceRecord()));
    return r;
  }

  /** True when this is the device's first open connection here. */
  connected(id: string, at: number): boolean {
    this.seen(id, at);
    const r = this.record(id);
    if (r.count > 0) {
      r.count++;
      r.since = Math.max(r.since, at);
      return false;
    }
    r.count = 1;
    r.since = at;
    this.openCount++;
    return true;
  }

  /** True when it was the device's last open connection here (false when none was open). */
  disconnected(id: string, at: number): boolean {
    this.seen(id, at);
    const r = this.devices.get(id);
    if (!r || r.count === 0) return false;
    if (--r.count > 0) return false;
    this.openCount--;
    return true;
  }

  /** Without `kind`: a connect or disconnect. Every time only moves forward. */
  seen(id: string, at: number, kind?: DeviceMessageKind): boolean {
    const r = this.record(id);
    let moved = false;
    if (at > r.at) {
      r.at = at;
      moved = true;
    }
    if (kind === undefined) return moved;
    const m = r.message;
    if (m === undefined) {
      r.message = new LastMessage(at, kind, kind === 'heartbeat' ? at : 0);
      return true;
    }
    if (at >= m.at && (at > m.at || m.kind !== kind)) {
      m.at = at;
      m.kind = kind;
      moved = true;
    }
    if (kind === 'heartbeat' && at > m.heartbeatAt) {
      m.heartbeatAt = at;
      moved = true;
    }
    return moved;
  }

  has(id: string): boolean {
    return (this.devices.get(id)?.count ?? 0) > 0;
  }

  since(id: string): number | undefined {
    const r = this.devices.get(id);
    return r !== undefined && r.count > 0 ? r.since : undefined;
  }

  lastSeenAt(id: string): number | undefined {
    return this.devices.get(id)?.at;
  }

  lastConnectAt(id: string): number | undefined {
    const since = this.devices.get(id)?.since;
    return since === undefined || since === 0 ? undefined : since;
  }

  lastSeenRecord(id: string): DeviceLastSeen | undefined {
    const r = this.devices.get(id);
    if (!r) return undefined;
    const m = r.message;
    return m === undefined
      ? { at: r.at, messageAt: 0, messageKind: null, heartbeatAt: 0 }
      : { at: r.at, messageAt: m.at, messageKind: m.kind, heartbeatAt: m.heartbeatAt };
  }

  get size(): number {
    return this.openCount;
  }

  /** Devices with an open connection here, with the count and when the latest opened. */
  *entries(): IterableIterator<[string, { count: number; since: number }]> {
    for (const [id, r] of this.devices) if (r.count > 0) yield [id, { count: r.count, since: r.since }];
  }
}

/** Listener set with the bus's contract: a throwing listener does not stop the others. */
export class PresenceListeners {
  private readonly set = new Set<(c: PresenceChange) => void>();
  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}
  add(fn: (c: PresenceChange) => void): () => void {
    this.set.add(fn);
    return () => this.set.delete(fn);
  }
  emit(c: PresenceChange): void {
    for (const fn of this.set)
      try {
        fn(c);
      } catch (err) {
        this.onError(err);
      }
  }
}

/** One node: the broker's sessions are the whole fleet's presence. */
export class LocalPresence implements PresenceBackend {
  private readonly local = new LocalConnections();
  private readonly listeners = new PresenceListeners();

  constructor(readonly nodeId: string) {}

  connected(id: string, at: number): void {
    if (this.local.connected(id, at))
      this.listeners.emit({ deviceId: id, online: true, at, member: this.nodeId, cause: 'connect' });
  }

  disconnected(id: string, at: number): boolean {
    const last = this.local.disconnected(id, at);
    if (last)
      this.listeners.emit({ deviceId: id, online: false, at, member: this.nodeId, cause: 'disconnect' });
    return last;
  }

  seen(id: string, at: number, kind?: DeviceMessageKind): boolean {
    return this.local.seen(id, at, kind);
  }

  isConnected(id: string): boolean {
    return this.local.has(id);
  }

  isLocal(id: string): boolean {
    return this.local.has(id);
  }

  where(id: string): PresenceEntry[] {
    const since = this.local.since(id);
    return since === undefined ? [] : [{ deviceId: id, nodeId: this.nodeId, member: this.nodeId, since }];
  }

  locate(id: string): Promise<PresenceEntry[]> {
    return Promise.resolve(this.where(id));
  }

  lastSeenAt(id: string): number | undefined {
    return this.local.lastSeenAt(id);
  }
  lastConnectAt(id: string): number | undefined {
    return this.local.lastConnectAt(id);
  }

  lastSeen(id: string): DeviceLastSeen | undefined {
    return this.local.lastSeenRecord(id);
  }

  connectedCount(): number {
    return this.local.size;
  }

  onChange(listener: (c: PresenceChange) => void): () => void {
    return this.listeners.add(listener);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
