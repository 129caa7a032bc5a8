/**
 * What the health engine writes, batched: service-state transitions (on the next microtask, one
 * transaction per batch) and last-seen times (every `flushIntervalMs`, one transaction), each
 * last-seen flush followed by the "engine alive at" timestamp the restart rule reads.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { HealthStore, StateChange } from './health-store.js';

export const ALIVE_KEY = 'alive_at';

export class EngineWriter {
  private dirtySeen = new Set<string>();
  private pending: StateChange[] = [];
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
    while (this.stateFlush || this.pending.length > 0) {
      if (!this.stateFlush) this.scheduleStateFlush();
      await this.stateFlush;
    }
  }

  private scheduleStateFlush(): void {
    if (this.stateFlush) return;
    this.stateFlush = Promise.resolve().then(async () => {
      try {
        while (this.pending.length > 0) {
          const batch = this.pending;
          this.pending = [];
          await this.store.saveTransitions(batch);
        }
      } catch (err) {
        this.log.error({ err }, 'health: saving service-state transitions failed');
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
    this.seenFlush = this.seenFlush
      .then(async () => {
        await store.saveLastSeen(batch);
        await store.setMeta(ALIVE_KEY, now);
      })
      .catch((err: unknown) => this.log.error({ err }, 'health: saving last-seen times failed'));
  }
}
