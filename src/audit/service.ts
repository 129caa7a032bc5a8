/**
 * The audit sink every module writes to. Entries are never dropped:
 *
 * - `record(entry)` is for writers that can wait (a request handler after its change): it resolves
 *   once the entry is durable and rejects with `AUDIT_UNAVAILABLE` (503) when the store fails, so
 *   the request fails instead of being acknowledged unaudited. The entry stays queued and is retried.
 * - `enqueue(entry)` is for emitters that cannot wait (bus events): entries are written in batches
 *   (one transaction each) at most `flushMs` late; a batch whose write fails stays at the head of the
 *   queue and is retried with doubling delays, in order, until it is written.
 *
 * With a journal (`journalPath`; the app puts it under the data directory), the queue survives a
 * crash: once a write fails, every queued entry — and every entry accepted after it, until the
 * queue is empty again — is appended to the journal and fsynced before `record()` answers (503)
 * or returns; `replay()` at start puts what the journal holds back at the head of the queue, in
 * order (journal.ts). Without one, a process that dies while the store is down loses what is
 * queued. Retries use the injected clock.
 */
import type { Clock, EventBus, Logger, TsunaguEvents } from '../core/index.js';
import type { AuditEntry, AuditPage, AuditQuery, AuditStore } from './audit-store.js';
import { AuditErrors } from './errors.js';
import { AuditJournal } from './journal.js';

export interface AuditLogOptions {
  /** Longest delay before queued entries are written (default 200 ms). */
  flushMs?: number;
  /** Entries per transaction; a full batch is written at once (default 500). */
  maxBatch?: number;
  /** First retry delay after a failed write, doubled per failure up to `maxRetryMs` (100 ms, 10 s). */
  retryMs?: number;
  maxRetryMs?: number;
  /** The crash journal's file (journal.ts); none when unset. */
  journalPath?: string;
}

/** An audit event as modules emit it on the bus (`audit`). */
export type AuditEvent = TsunaguEvents['audit'];

export function entryFromEvent(e: AuditEvent): AuditEntry {
  return {
    at: e.at,
    actorKind: e.actor.kind,
    actorId: e.actor.id,
    actorName: e.actor.name ?? null,
    action: e.action,
    resource: e.resource,
    before: e.before ?? null,
    after: e.after ?? null,
  };
}

export class AuditLog {
  private queue: AuditEntry[] = [];
  private writing: Promise<void> | undefined;
  private cancelTimer: (() => void) | undefined;
  private failures = 0;
  private stopped = false;
  private readonly journal: AuditJournal | undefined;
  /** Every queued entry is in the journal (set on a failed write, cleared once the queue is empty). */
  private journaling = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;

  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    opts: AuditLogOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 200;
    this.maxBatch = opts.maxBatch ?? 500;
    this.retryMs = opts.retryMs ?? 100;
    this.maxRetryMs = opts.maxRetryMs ?? 10_000;
    this.journal = opts.journalPath ? new AuditJournal(opts.journalPath) : undefined;
  }

  /**
   * Put the entries a crashed process journaled back at the head of the queue, in order, and start
   * writing them (retried like any queued entry while the store is down). Call once, at start.
   */
  replay(): number {
    if (!this.journal) return 0;
    const entries = this.journal.load();
    if (entries.length) {
      this.queue.unshift(...entries);
      this.journaling = true;
      this.log.warn({ entries: entries.length }, 'audit: replaying entries journaled before a restart');
      this.drainInBackground();
    } else if (this.journal.dirty) {
      void this.journal
        .reset()
        .catch((err: unknown) => this.log.error({ err }, 'audit: journal reset failed'));
    }
    return entries.length;
  }

  /** Take in every `audit` event other modules emit on the bus. */
  listen(bus: EventBus): void {
    this.unsubscribe.push(bus.on('audit', (e) => this.enqueue(entryFromEvent(e))));
  }

  /** Durable when it resolves; rejects with AUDIT_UNAVAILABLE (the entry stays queued and is retried). */
  async record(entry: AuditEntry): Promise<void> {
    await this.accept(entry);
    await this.flush();
  }

  /** Queue an entry; it is written within `flushMs`, or at once when a batch is full. */
  enqueue(entry: AuditEntry): void {
    this.accept(entry).catch(() => undefined); // logged in accept()
    if (this.queue.length >= this.maxBatch) this.drainInBackground();
    else this.schedule(this.flushMs);
  }

  /** Entries not yet durable. */
  pending(): number {
    return this.queue.length;
  }

  /** Write everything queued so far; rejects with AUDIT_UNAVAILABLE when the store fails. */
  flush(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    return this.drain();
  }

  /** Queue an entry; while the store is failing, journal it too (on disk when this resolves). */
  private async accept(entry: AuditEntry): Promise<void> {
    this.queue.push(entry);
    if (!this.journaling || !this.journal) return;
    try {
      await this.journal.append([entry]);
    } catch (err) {
      this.log.error({ err }, 'audit: journal write failed; the entry is queued in memory only');
      throw AuditErrors.unavailable(err instanceof Error ? err.message : String(err));
    }
  }

  async list(q: AuditQuery): Promise<AuditPage> {
    // Queued entries first, so a reader sees every change made before its request.
    await this.flush();
    return this.store.list(q);
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    try {
      await this.flush();
    } catch {
      this.log.error(
        { pending: this.queue.length, journal: this.journaling ? this.journal?.path : undefined },
        this.journaling
          ? 'audit: entries still not written at shutdown; kept in the journal for the next start'
          : 'audit: entries still not written at shutdown',
      );
    }
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.journal?.close();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.cancelTimer ??= this.clock.setTimer(ms, () => {
      this.cancelTimer = undefined;
      this.drainInBackground();
    });
  }

  private drainInBackground(): void {
    this.drain().catch(() => undefined); // logged and rescheduled in drain()
  }

  /** One writer at a time: writes the head of the queue in batches until it is empty. */
  private drain(): Promise<void> {
    if (this.writing) {
      // A write is in flight; chain one more pass so entries queued after it are included.
      return this.writing.then(
        () => this.drain(),
        () => this.drain(),
      );
    }
    if (!this.queue.length) return Promise.resolve();
    const run = (async () => {
      try {
        while (this.queue.length) {
          const batch = this.queue.slice(0, this.maxBatch);
          await this.store.append(batch);
          // Only now are they durable: a failed append leaves the queue as it was.
          this.queue.splice(0, batch.length);
          this.failures = 0;
          if (this.journaling) await this.journal?.written(batch.length);
        }
        if (this.journaling && this.journal && !this.queue.length) {
          this.journaling = false; // entries accepted from here on are written without the journal
          await this.journal.reset();
        }
      } catch (err) {
        await this.journalQueue();
        this.failures++;
        const wait = Math.min(this.maxRetryMs, this.retryMs * 2 ** (this.failures - 1));
        this.log.error(
          { err, pending: this.queue.length, retryInMs: wait },
          'audit: write failed; the entries are kept and retried',
        );
        this.cancelTimer?.();
        this.cancelTimer = undefined;
        this.schedule(wait);
        throw AuditErrors.unavailable(err instanceof Error ? err.message : String(err));
      } finally {
        this.writing = undefined;
      }
    })();
    this.writing = run;
    return run;
  }

  /** The store failed: from now until the queue is empty, every queued entry is in the journal. */
  private async journalQueue(): Promise<void> {
    if (!this.journal || this.journaling) return;
    this.journaling = true; // set before the await: entries accepted meanwhile append after these
    try {
      await this.journal.append(this.queue.slice());
    } catch (err) {
      this.journaling = false;
      this.log.error(
        { err, pending: this.queue.length },
        'audit: journal write failed; queued in memory only',
      );
    }
  }
}
