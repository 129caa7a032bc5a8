/**
 * Counts made in memory, written durably in one batched upsert every few seconds (and at
 * shutdown). Flushes run one after another, so awaiting `flush()` also waits for one a timer
 * started; a failed write keeps its rows for the next flush.
 */
import type { Clock, Logger } from '../core/index.js';
import type { CounterRow, SloStore } from './slo-store.js';

export class CounterBuffer {
  private rows = new Map<string, CounterRow>();
  private flushing: Promise<void> = Promise.resolve();
  private cancelTimer: (() => void) | undefined;

  constructor(
    private readonly store: SloStore,
    /** Rows of SLOs that no longer exist are dropped rather than retried. */
    private readonly known: (sloId: string) => boolean,
  ) {}

  add(sloId: string, minute: number, good: number, total: number): void {
    const key = `${sloId}\u0000${minute}`;
    const row = this.rows.get(key);
    if (row) {
      row.good += good;
      row.total += total;
    } else this.rows.set(key, { sloId, minute, good, total });
  }

  /** Rows of one SLO not written yet. */
  pending(sloId: string): CounterRow[] {
    return [...this.rows.values()].filter((r) => r.sloId === sloId);
  }

  drop(sloId: string): void {
    for (const [k, r] of this.rows) if (r.sloId === sloId) this.rows.delete(k);
  }

  flush(): Promise<void> {
    const next = this.flushing.then(() => this.write());
    this.flushing = next.catch(() => undefined);
    return next;
  }

  /**
   * Write what is buffered, then run `fn` before any other flush starts: inside `fn`, every count
   * made here is either in the store or in `pending()`, never in between (the cluster re-sync).
   * A failed write is logged by the caller's catch and does not stop `fn`.
   */
  afterFlush<T>(fn: () => Promise<T>, onError: (err: unknown) => void): Promise<T> {
    const next = this.flushing.then(async () => {
      await this.write().catch(onError);
      return fn();
    });
    this.flushing = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private async write(): Promise<void> {
    if (this.rows.size === 0) return;
    const rows = [...this.rows.values()];
    this.rows = new Map();
    try {
      await this.store.addCounters(rows);
    } catch (err) {
      // Keep the counts: merge them back so the next flush retries.
      for (const r of rows) if (this.known(r.sloId)) this.add(r.sloId, r.minute, r.good, r.total);
      throw err;
    }
  }

  /** Flush every `ms` on `clock` until `stop()`. */
  start(clock: Clock, ms: number, log?: Logger): void {
    let inFlight = false;
    const tick = (): void => {
      this.cancelTimer = clock.setTimer(ms, tick); // re-arm first: a slow write must not stall the timer
      if (inFlight) return;
      inFlight = true;
      this.flush()
        .catch((err: unknown) => log?.error({ err }, 'slo counter flush failed'))
        .finally(() => {
          inFlight = false;
        });
    };
    this.cancelTimer = clock.setTimer(ms, tick);
  }

  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }
}
