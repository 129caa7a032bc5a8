/**
 * The scheduling half of a persisted queue (notify's outbox, rules' action queue, audit's journal):
 * rows live in the module's store; this holds which of them this node attempts and when.
 *
 * - Any node writes rows; only the owner of a row's shard key (ownership seam) attempts it. The
 *   attempt itself (claim, send, settle) is the module's `attempt(id, key)`; it ends by calling
 *   `schedule()` again (retry later) or nothing (done, or another node has it).
 * - `load()` returns the rows to hold: read at start, when this node gains shards and every
 *   `sweepMs`, so work queued on another node, or before a restart, is found.
 * - At most `maxConcurrent` attempts run at once; one timer is armed for the earliest due row, and
 *   none while every slot is busy (a finishing attempt dispatches again).
 */
import { randomUUID } from 'node:crypto';
import {
  singleNodeOwnership,
  type Clock,
  type Logger,
  type Ownership,
  type OwnershipChange,
} from '../core/index.js';

export interface QueuedRow {
  id: string;
  /** Shard key for the ownership seam (the row's id, or what groups rows: a channel). */
  key: string;
  /** When it is due (epoch ms). */
  at: number;
}

export interface PersistedQueueOptions {
  /** `notify: outbox` — the prefix of log lines. */
  name: string;
  clock: Clock;
  log: Logger;
  ownership?: Ownership;
  maxConcurrent: number;
  /** How often the store is read again for rows queued elsewhere (default 5 s). */
  sweepMs?: number;
  /** Rows to hold (unfinished, due within the next sweep or so). */
  load(): Promise<readonly QueuedRow[]>;
  /** Attempt one row; its claimant is `claimant`. */
  attempt(id: string, key: string): Promise<void>;
  /** When `attempt` throws: try again this much later. */
  retryAfterErrorMs: number;
}

export const DEFAULT_SWEEP_MS = 5_000;

export class PersistedQueue {
  /** This process's claims: a restarted node does not inherit its predecessor's. */
  readonly claimant: string;
  private readonly due = new Map<string, { at: number; key: string }>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly ownership: Ownership;
  private cancelTimer: (() => void) | undefined;
  private cancelSweep: (() => void) | undefined;
  private unlisten: (() => void) | undefined;
  private armedAt = Infinity;
  /** The earliest due time held (≤ the true minimum): dispatch skips the scan until then. */
  private earliest = Infinity;
  private stopped = false;

  constructor(private readonly o: PersistedQueueOptions) {
    this.ownership = o.ownership ?? singleNodeOwnership();
    this.claimant = `${this.ownership.nodeId}#${randomUUID().slice(0, 8)}`;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.unlisten = this.ownership.onChange((c) => this.onOwnershipChange(c));
    await this.reload();
    this.dispatch();
    const every = this.o.sweepMs ?? DEFAULT_SWEEP_MS;
    const sweep = (): void => {
      this.cancelSweep = this.o.clock.setTimer(every, () => {
        if (this.stopped) return;
        this.reloadInBackground();
        sweep();
      });
    };
    sweep();
  }

  /** Stops timers and waits for the attempts in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unlisten?.();
    this.cancelSweep?.();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.armedAt = Infinity;
    await this.settled();
  }

  /** Hold a row due at `at` if this node owns its key (the owner's sweep finds it otherwise), and dispatch. */
  schedule(id: string, at: number, key = id): void {
    this.hold(id, at, key);
    this.dispatch();
  }

  /** Let go of a row (finished, or gone elsewhere). */
  forget(id: string): void {
    this.due.delete(id);
  }

  /** Rows this node holds, waiting or in flight. */
  get held(): number {
    return this.due.size + this.inFlight.size;
  }

  /** Whether a held row is due now and not in flight. */
  hasDueNow(): boolean {
    const now = this.o.clock.now();
    for (const d of this.due.values()) if (d.at <= now) return true;
    return false;
  }

  /** Resolves when no attempt is in flight (ones started meanwhile included). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  /** Dispatch what is due now (tests that moved a clock, and `idle()` loops). */
  dispatch(): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const max = this.o.maxConcurrent;
    // A backlog waiting for its retry time is not scanned on every new row.
    if (now < this.earliest || this.inFlight.size >= max) return this.arm();
    let earliest = Infinity;
    for (const [id, d] of this.due) {
      if (d.at > now || this.inFlight.has(id) || this.inFlight.size >= max) {
        if (d.at < earliest) earliest = d.at;
        continue;
      }
      this.due.delete(id);
      if (!this.ownership.owns(d.key)) continue; // the new owner has it (lost-shard notice not here yet)
      const p = this.o
        .attempt(id, d.key)
        .catch((err: unknown) => {
          this.o.log.error({ err, id }, `${this.o.name}: attempt failed unexpectedly`);
          this.hold(id, this.o.clock.now() + this.o.retryAfterErrorMs, d.key);
        })
        .finally(() => {
          this.inFlight.delete(id);
          this.dispatch();
        });
      this.inFlight.set(id, p);
    }
    this.earliest = earliest;
    this.arm();
  }

  private hold(id: string, at: number, key: string): void {
    if (!this.ownership.owns(key)) {
      this.due.delete(id);
      return;
    }
    this.due.set(id, { at, key });
    if (at < this.earliest) this.earliest = at;
  }

  private async reload(): Promise<void> {
    for (const r of await this.o.load())
      if (!this.due.has(r.id) && !this.inFlight.has(r.id)) this.hold(r.id, r.at, r.key);
  }

  private reloadInBackground(): void {
    this.reload().then(
      () => this.dispatch(),
      (err: unknown) => this.o.log.error({ err }, `${this.o.name} reload failed`),
    );
  }

  private onOwnershipChange(c: OwnershipChange): void {
    const lost = new Set(c.lost);
    // Attempts in flight finish: their claims keep the new owner off until they are written.
    for (const [id, d] of this.due) if (lost.has(this.ownership.shardOf(d.key))) this.due.delete(id);
    if (c.gained.length > 0) this.reloadInBackground();
    else this.dispatch();
  }

  private arm(): void {
    const next = this.earliest;
    // While every slot is busy, the next attempt's completion dispatches again: no timer to spin.
    if (next === this.armedAt || this.stopped || this.inFlight.size >= this.o.maxConcurrent) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.armedAt = next;
    if (next === Infinity) return;
    this.cancelTimer = this.o.clock.setTimer(Math.max(0, next - this.o.clock.now()), () => {
      this.armedAt = Infinity;
      this.cancelTimer = undefined;
      this.dispatch();
    });
  }
}
