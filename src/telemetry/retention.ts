/**
 * Retention per table, enforced in the background in small chunks: each chunk is one short
 * statement, and the worker yields to the event loop between chunks so ingest never waits long
 * behind it (with SQLite a chunk holds the write lock for a few milliseconds).
 *
 * Several nodes: every node runs the timer, but only the owner of `RETENTION_SHARD_KEY` sweeps
 * (`owns`, asked at each tick and before each chunk, so a node that loses the lease stops within
 * one chunk). Two sweeps overlapping during a hand-over would only delete the same old rows.
 */
import type { Clock } from '../core/index.js';
import type { RetentionTable, TelemetryStore } from './telemetry-store.js';

const DAY = 24 * 3600_000;

/** How long each table keeps rows, in ms. */
export type RetentionPolicy = Record<RetentionTable, number>;

export const DEFAULT_RETENTION: RetentionPolicy = {
  raw: 7 * DAY,
  minute: 90 * DAY,
  hour: 730 * DAY,
  events: 90 * DAY,
};

/** The ownership shard key of the retention sweep: one node fleet-wide runs it. */
export const RETENTION_SHARD_KEY = 'telemetry.retention';

export interface RetentionOptions {
  policy: RetentionPolicy;
  /** Rows per delete statement. */
  chunk: number;
  /** Time between sweeps. */
  intervalMs: number;
  /** Whether this node runs the sweep now (ownership of RETENTION_SHARD_KEY); default: always. */
  owns?: () => boolean;
}

export class RetentionWorker {
  private cancel: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: TelemetryStore,
    private readonly clock: Clock,
    private readonly opts: RetentionOptions,
    private readonly onDeleted: (table: RetentionTable, n: number) => void = () => undefined,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = (): void => {
      if (this.stopped) return;
      this.running = (this.owns() ? this.sweep() : Promise.resolve())
        .then(() => undefined, this.onError)
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.cancel = this.clock.setTimer(this.opts.intervalMs, tick);
        });
    };
    this.cancel = this.clock.setTimer(this.opts.intervalMs, tick);
  }

  private owns(): boolean {
    return this.opts.owns?.() ?? true;
  }

  /** Resolves when no sweep is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    await this.running;
  }

  /** One pass over every table; returns rows deleted per table. */
  async sweep(): Promise<Record<RetentionTable, number>> {
    const out: Record<RetentionTable, number> = { raw: 0, minute: 0, hour: 0, events: 0 };
    for (const table of Object.keys(out) as RetentionTable[]) {
      const before = this.clock.now() - this.opts.policy[table];
      for (;;) {
        if (this.stopped || !this.owns()) return out;
        const n = await this.store.deleteBefore(table, before, this.opts.chunk);
        out[table] += n;
        if (n > 0) this.onDeleted(table, n);
        if (n < this.opts.chunk) break;
        await new Promise((r) => setImmediate(r));
      }
    }
    return out;
  }
}
