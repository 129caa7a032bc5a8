/**
 * Connectivity: every connect and disconnect (also refused CONNECTs) becomes a history row; online
 * state and last-seen are kept exactly in memory and written to the store in batches (one
 * transaction per batch, at most `flushMs` late). Readers call `flush()` first, so what the API
 * returns is exact. (Audit entries are the audit module's: src/audit.)
 */
import type { Clock, EventBus, Logger, TsunaguEvents } from '../core/index.js';
import type { RegistryStore } from './store.js';
import type { ConnectivityRow, StatusUpdate } from './types.js';

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
  /** Open connections per client id (a takeover may report the old close after the new open). */
  private readonly open = new Map<string, number>();
  private readonly lastSeen = new Map<string, number>();
  private readonly recentConnects = new Map<string, number[]>();
  private readonly flappingSince = new Map<string, number>();
  private rows: ConnectivityRow[] = [];
  private status = new Map<string, StatusUpdate>();
  private cancelTimer: (() => void) | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly store: RegistryStore,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: ConnectivityOptions,
    /** Called when a client's last connection closed (drop its ACL cache). */
    private readonly onOffline: (clientId: string) => void,
  ) {}

  start(): void {
    this.unsubscribe.push(
      this.bus.on('device.connected', (e) => this.connected(e)),
      this.bus.on('device.disconnected', (e) => this.disconnected(e)),
      this.bus.on('device.message', (e) => this.seen(e.deviceId, e.at)),
    );
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.flush();
  }

  isOnline(id: string): boolean {
    return (this.open.get(id) ?? 0) > 0;
  }

  lastSeenAt(id: string): number | undefined {
    return this.lastSeen.get(id);
  }

  onlineCount(): number {
    return this.open.size;
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
    this.open.set(e.deviceId, (this.open.get(e.deviceId) ?? 0) + 1);
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
    this.setStatus(e.deviceId, e.at);
    this.countConnect(e.deviceId, e.at);
  }

  private disconnected(e: TsunaguEvents['device.disconnected']): void {
    const refused = e.refused === true;
    if (!refused) {
      const n = (this.open.get(e.deviceId) ?? 0) - 1;
      if (n > 0) this.open.set(e.deviceId, n);
      else {
        this.open.delete(e.deviceId);
        this.onOffline(e.deviceId);
      }
    }
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
    if (!refused) this.setStatus(e.deviceId, e.at);
  }

  private seen(id: string, at: number): void {
    if ((this.lastSeen.get(id) ?? 0) >= at) return;
    this.setStatus(id, at);
  }

  private setStatus(id: string, at: number): void {
    const last = Math.max(at, this.lastSeen.get(id) ?? 0);
    this.lastSeen.set(id, last);
    this.status.set(id, { deviceId: id, online: this.isOnline(id), lastSeenAt: last });
    this.schedule();
  }

  private countConnect(id: string, at: number): void {
    const { connects, windowMs } = this.opts.flapping;
    const times = (this.recentConnects.get(id) ?? []).filter((t) => at - t < windowMs);
    times.push(at);
    this.recentConnects.set(id, times);
    if (times.length < connects) return;
    const since = this.flappingSince.get(id);
    // One event per window: a device that keeps flapping is reported again after `windowMs`.
    if (since !== undefined && at - since < windowMs) return;
    this.flappingSince.set(id, at);
    this.bus.emit('device.flapping', { deviceId: id, at, connects: times.length, windowMs });
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
    const status = [...this.status.values()];
    this.rows = [];
    this.status = new Map();
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
