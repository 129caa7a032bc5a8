/**
 * Connectivity: every connect and disconnect (also refused CONNECTs) becomes a history row; online
 * state and last-seen (any event, latest message and its kind, latest heartbeat) are owned by
 * presence (presence.ts), which this writer feeds first, and are
 * written to the store's status columns in batches (one transaction per batch, at most `flushMs`
 * late; the online flag is read from presence when the batch is written, so a device that moved to
 * another node is not marked offline by the node it left). Readers call `flush()` first, so what
 * the API returns is exact. (Audit entries are the audit module's: src/audit.)
 */
import type {
  Clock,
  DeviceLastSeen,
  DeviceMessageKind,
  EventBus,
  Logger,
  TsunaguEvents,
} from '../core/index.js';
import type { PresenceBackend, PresenceChange } from './presence.js';
import type { RegistryStore } from './registry-store.js';
import type { ConnectivityRow } from './types.js';

const NEVER: DeviceLastSeen = { at: 0, messageAt: 0, messageKind: null, heartbeatAt: 0 };

export interface FlappingOptions {
  /** Connects within `windowMs` that make a device "flapping". */
  connects: number;
  windowMs: number;
}

export interface ConnectivityOptions {
  flapping: FlappingOptions;
  flushMs: number;
  /** Flush at once when this many rows are pending. */
  maxBatch: number;
}

export class Connectivity {
  /**
   * Connect times within the flapping window of devices that connected more than once in it. A
   * device's one connect is presence's `lastConnectAt`, not held here as well (a map entry and a
   * 16-byte time per device: idle memory, docs/benchmarks.md).
   */
  private readonly recentConnects = new Map<string, number[]>();
  private readonly flappingSince = new Map<string, number>();
  /** When `recentConnects` was last rid of devices whose connects all left the window. */
  private prunedAt: number;
  private rows: ConnectivityRow[] = [];
  /** Devices whose status columns must be written (values read from presence at write time). */
  private status = new Set<string>();
  private cancelTimer: (() => void) | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly store: RegistryStore,
    private readonly presence: PresenceBackend,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: ConnectivityOptions,
    /** Called when a client's last connection closed (drop its ACL cache). */
    private readonly onOffline: (clientId: string) => void,
  ) {
    this.prunedAt = clock.now();
  }

  /** Devices whose connect times are held here for flapping (tests: only repeat connects, within the window). */
  get trackedConnects(): number {
    return this.recentConnects.size;
  }

  start(): void {
    this.unsubscribe.push(
      this.bus.on('device.connected', (e) => this.connected(e)),
      this.bus.on('device.disconnected', (e) => this.disconnected(e)),
      this.bus.on('device.message', (e) => this.seen(e.deviceId, e.at, e.kind)),
      this.presence.onChange((c) => this.presenceChanged(c)),
    );
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.flush();
  }

  /** Devices whose flapping began within the current window. */
  flappingIds(): string[] {
    const now = this.clock.now();
    const out: string[] = [];
    for (const [id, at] of this.flappingSince) {
      if (now - at < this.opts.flapping.windowMs) out.push(id);
      else this.flappingSince.delete(id);
    }
    return out;
  }

  private connected(e: TsunaguEvents['device.connected']): void {
    const previous = this.presence.lastConnectAt(e.deviceId);
    this.presence.connected(e.deviceId, e.at);
    this.queue({
      deviceId: e.deviceId,
      event: 'connect',
      at: e.at,
      remoteAddress: e.remoteAddress,
      protocolVersion: e.protocolVersion,
      keepalive: e.keepalive,
      reason: null,
      refused: false,
      detail: null,
    });
    this.markStatus(e.deviceId);
    this.countConnect(e.deviceId, e.at, previous);
  }

  private disconnected(e: TsunaguEvents['device.disconnected']): void {
    const refused = e.refused === true;
    if (!refused && this.presence.disconnected(e.deviceId, e.at)) this.onOffline(e.deviceId);
    this.queue({
      deviceId: e.deviceId,
      event: 'disconnect',
      at: e.at,
      remoteAddress: e.remoteAddress,
      protocolVersion: null,
      keepalive: null,
      reason: e.reason,
      refused,
      detail: e.detail ?? null,
    });
    if (!refused) this.markStatus(e.deviceId);
  }

  /**
   * A consumed message: presence's record moves in memory; the device's status row is written in
   * the next batch, once however many messages arrive before it (the hot path touches a Set).
   */
  private seen(id: string, at: number, kind: DeviceMessageKind): void {
    if (this.presence.seen(id, at, kind)) this.markStatus(id);
  }

  /**
   * Cluster only: a dead node's devices were cleared by this node's sweep (written here, once
   * fleet-wide), or this node wrote back its own rows after being cut off.
   */
  private presenceChanged(c: PresenceChange): void {
    if (c.cause === 'node_lost' && c.recorded) {
      this.queue({
        deviceId: c.deviceId,
        event: 'disconnect',
        at: c.at,
        remoteAddress: '',
        protocolVersion: null,
        keepalive: null,
        reason: 'node_lost',
        refused: false,
        detail: `node ${c.member} stopped renewing its membership`,
      });
      this.markStatus(c.deviceId);
    } else if (c.cause === 'restored') this.markStatus(c.deviceId);
  }

  private markStatus(id: string): void {
    this.status.add(id);
    this.schedule();
  }

  /** `previous`: the device's connect before this one (presence's), when there was one. */
  private countConnect(id: string, at: number, previous: number | undefined): void {
    const { connects, windowMs } = this.opts.flapping;
    if (at - this.prunedAt >= windowMs) this.prune(at, windowMs);
    const before = this.recentConnects.get(id) ?? (previous === undefined ? [] : [previous]);
    // concat() allocates the array at its size; push() onto filter()'s empty result reserves room
    // for 17 numbers (idle memory, docs/benchmarks.md).
    const times = before.filter((t) => at - t < windowMs).concat(at);
    if (times.length === 1) this.recentConnects.delete(id);
    else this.recentConnects.set(id, times);
    if (times.length < connects) return;
    const since = this.flappingSince.get(id);
    // One event per window: a device that keeps flapping is reported again after `windowMs`.
    if (since !== undefined && at - since < windowMs) return;
    this.flappingSince.set(id, at);
    this.bus.emit('device.flapping', { deviceId: id, at, connects: times.length, windowMs });
  }

  /**
   * Drop the connect times of devices that have not connected within the window: they can no
   * longer count towards flapping, and a fleet that reconnected once (a broker restart) and stays
   * connected would keep an entry per device (~100 bytes) for good. One pass per window, on a
   * connect after it.
   */
  private prune(now: number, windowMs: number): void {
    this.prunedAt = now;
    for (const [id, t] of this.recentConnects)
      if (now - t[t.length - 1]! >= windowMs) this.recentConnects.delete(id);
    for (const [id, at] of this.flappingSince) if (now - at >= windowMs) this.flappingSince.delete(id);
  }

  private queue(row: ConnectivityRow): void {
    this.rows.push(row);
    this.schedule();
  }

  private schedule(): void {
    if (this.rows.length + this.status.size >= this.opts.maxBatch) {
      void this.flush();
      return;
    }
    this.cancelTimer ??= this.clock.setTimer(this.opts.flushMs, () => {
      this.cancelTimer = undefined;
      void this.flush();
    });
  }

  /** Write everything pending (one transaction); resolves after earlier flushes too. */
  flush(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const rows = this.rows;
    const status = [...this.status].map((id) => ({
      deviceId: id,
      online: this.presence.isConnected(id),
      lastSeen: this.presence.lastSeen(id) ?? NEVER,
    }));
    this.rows = [];
    this.status = new Set();
    this.writing = this.writing.then(async () => {
      if (!rows.length && !status.length) return;
      try {
        await this.store.writeBatch(rows, status);
      } catch (err) {
        this.log.error({ err, rows: rows.length }, 'registry: connectivity batch write failed');
      }
    });
    return this.writing;
  }
}
