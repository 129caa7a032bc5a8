/**
 * What the health engine writes, batched: service-state transitions and hardware-error windows (on
 * the next microtask, one transaction per batch) and last-seen times (every `flushIntervalMs`, one
 * transaction). While the listeners are open each last-seen flush is followed by `alive_at`, the
 * last moment the platform was known to listen; at shutdown `alive_at` = `closed_at` = the moment
 * the listeners began to close. Platform downtime (engine.ts) runs from `alive_at` to the next open.
 */
import type { Clock, Logger } from '../core/index.js';
import type { ErrorWindowRow, HealthStore, StateChange } from './health-store.js';

export const ALIVE_KEY = 'alive_at';
export const CLOSED_KEY = 'closed_at';

/**
 * - `starting` — listeners not open yet: `alive_at` keeps the previous run's value.
 * - `live`     — listeners open: `alive_at` follows each flush.
 * - `closed`   — listeners closing: `alive_at` and `closed_at` hold the closing moment.
 */
type Phase = 'starting' | 'live' | 'closed';

export class EngineWriter {
  private dirtySeen = new Set<string>();
  private pending: StateChange[] = [];
  private windows = new Map<string, ErrorWindowRow>();
  private phase: Phase = 'starting';
  private closedAt = 0;
  private stateFlush: Promise<void> | undefined;
  private seenFlush: Promise<void> = Promise.resolve();
  private cancelFlush: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly store: HealthStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Current last-seen of a tracked device (undefined: no longer tracked). */
    private readonly lastSeenOf: (id: string) => number | undefined,
    private readonly flushIntervalMs = 5000,
  ) {}

  seen(id: string): void {
    this.dirtySeen.add(id);
  }

  forget(id: string): void {
    this.dirtySeen.delete(id);
  }

  live(): void {
    this.phase = 'live';
  }

  closing(at: number): void {
    this.phase = 'closed';
    this.closedAt = at;
  }

  /** A device's window for `code` changed (copied: the engine keeps mutating its array). */
  errorWindow(deviceId: string, code: string, occurrences: readonly number[]): void {
    this.windows.set(`${deviceId}\u0000${code}`, { deviceId, code, occurrences: [...occurrences] });
    this.scheduleStateFlush();
  }

  transition(change: StateChange): void {
    this.pending.push(change);
    this.scheduleStateFlush();
  }

  startTimers(): void {
    this.scheduleSeenFlush();
  }

  stop(): void {
    this.stopped = true;
    this.cancelFlush?.();
  }

  /** Wait until every state change and last-seen time so far is written. */
  async flush(): Promise<void> {
    this.flushSeen();
    await this.seenFlush;
    while (this.stateFlush || this.pending.length > 0 || this.windows.size > 0) {
      if (!this.stateFlush) this.scheduleStateFlush();
      await this.stateFlush;
    }
  }

  private scheduleStateFlush(): void {
    if (this.stateFlush) return;
    this.stateFlush = Promise.resolve().then(async () => {
      try {
        while (this.pending.length > 0 || this.windows.size > 0) {
          const batch = this.pending;
          const windows = [...this.windows.values()];
          this.pending = [];
          this.windows = new Map();
          await this.store.saveTransitions(batch);
          await this.store.saveErrorWindows(windows);
        }
      } catch (err) {
        this.log.error({ err }, 'health: saving service-state transitions or error windows failed');
      } finally {
        this.stateFlush = undefined;
      }
    });
  }

  private scheduleSeenFlush(): void {
    if (this.stopped) return;
    this.cancelFlush = this.clock.setTimer(this.flushIntervalMs, () => {
      this.flushSeen();
      this.scheduleSeenFlush();
    });
  }

  private flushSeen(): void {
    const ids = this.dirtySeen;
    this.dirtySeen = new Set();
    const batch: { deviceId: string; lastSeen: number }[] = [];
    for (const id of ids) {
      const lastSeen = this.lastSeenOf(id);
      if (lastSeen !== undefined) batch.push({ deviceId: id, lastSeen });
    }
    const now = this.clock.now();
    const store = this.store;
    const phase = this.phase;
    const closedAt = this.closedAt;
    this.seenFlush = this.seenFlush
      .then(async () => {
        await store.saveLastSeen(batch);
        if (phase === 'live') await store.setMeta(ALIVE_KEY, now);
        if (phase === 'closed') {
          await store.setMeta(ALIVE_KEY, closedAt);
          await store.setMeta(CLOSED_KEY, closedAt);
        }
      })
      .catch((err: unknown) => this.log.error({ err }, 'health: saving last-seen times failed'));
  }
}
