/**
 * What the health engine writes, batched: service-state transitions and hardware-error windows (on
 * the next microtask, one transaction per batch) and, every `flushIntervalMs` while the listeners
 * are open, `alive_at`: the last moment the platform was known to listen; at shutdown `alive_at` =
 * `closed_at` = the moment the listeners began to close. Platform downtime (engine.ts) runs from
 * `alive_at` to the next open. (Last sign of life is presence's, written by the registry.)
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
  private pending: StateChange[] = [];
  private windows = new Map<string, ErrorWindowRow>();
  private phase: Phase = 'starting';
  private closedAt = 0;
  private stateFlush: Promise<void> | undefined;
  private aliveFlush: Promise<void> = Promise.resolve();
  private cancelFlush: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly store: HealthStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly flushIntervalMs = 5000,
  ) {}

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
    this.scheduleAliveFlush();
  }

  stop(): void {
    this.stopped = true;
    this.cancelFlush?.();
  }

  /** Wait until every state change so far (and `alive_at`) is written. */
  async flush(): Promise<void> {
    this.flushAlive();
    await this.aliveFlush;
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

  private scheduleAliveFlush(): void {
    if (this.stopped) return;
    this.cancelFlush = this.clock.setTimer(this.flushIntervalMs, () => {
      this.flushAlive();
      this.scheduleAliveFlush();
    });
  }

  private flushAlive(): void {
    const now = this.clock.now();
    const store = this.store;
    const phase = this.phase;
    const closedAt = this.closedAt;
    this.aliveFlush = this.aliveFlush
      .then(async () => {
        if (phase === 'live') await store.setMeta(ALIVE_KEY, now);
        if (phase === 'closed') {
          await store.setMeta(ALIVE_KEY, closedAt);
          await store.setMeta(CLOSED_KEY, closedAt);
        }
      })
      .catch((err: unknown) => this.log.error({ err }, 'health: saving alive_at failed'));
  }
}
